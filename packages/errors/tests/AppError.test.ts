import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { AppError, appError, errorCodes, requestError, toAppError, withHttpStatus, type ErrorCode } from '../src/index.ts';

describe('requestError', () => {
  it('sets extensions.http.status from the registry for every code', () => {
    for (const code of Object.keys(errorCodes) as ErrorCode[]) {
      expect(requestError(code, 'refused').extensions.http).toEqual({ status: errorCodes[code], headers: new Map() });
    }
  });

  it('sends the given response headers, lower-cased, with the details', () => {
    const error = requestError('RATE_LIMITED', 'slow down', { retryAfterSeconds: 3 }, { 'Retry-After': '3' });
    expect(error.extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: 3, http: { status: 429, headers: new Map([['retry-after', '3']]) } });
  });

  it('keeps message, details and cause when an existing error is marked', () => {
    const cause = new Error('depth 14');
    const marked = withHttpStatus(appError('QUERY_TOO_COMPLEX', 'too deep', { limit: 'depth' }, cause));
    expect(marked).toBeInstanceOf(AppError);
    expect(marked.message).toBe('too deep');
    expect(marked.cause).toBe(cause);
    expect(marked.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'depth', http: { status: 400 } });
  });
});

describe('toAppError', () => {
  it('passes an AppError through unchanged', () => {
    const error = appError('CONFLICT', 'busy');
    expect(toAppError(error)).toBe(error);
  });

  it('masks an unknown error as INTERNAL_SERVER_ERROR and keeps it as the cause', () => {
    const cause = new Error('relation "vms.vms" does not exist');
    const wrapped = toAppError(cause);
    expect(wrapped.code).toBe('INTERNAL_SERVER_ERROR');
    expect(wrapped.message).toBe('Internal server error');
    expect(wrapped.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
    expect(wrapped.cause).toBe(cause);
    expect(wrapped.originalError).toBe(cause);
  });

  it('wraps thrown non-errors too', () => {
    const wrapped = toAppError('a string');
    expect(wrapped.code).toBe('INTERNAL_SERVER_ERROR');
    expect(wrapped.cause).toBe('a string');
  });

  it('keeps the code, message and details of a GraphQLError with a registered code', () => {
    const original = new GraphQLError('name must not be empty', { extensions: { code: 'BAD_USER_INPUT', field: 'input.name' } });
    const wrapped = toAppError(original);
    expect(wrapped).toBeInstanceOf(AppError);
    expect(wrapped.code).toBe('BAD_USER_INPUT');
    expect(wrapped.message).toBe('name must not be empty');
    expect(wrapped.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.name' });
    expect(wrapped.cause).toBe(original);
  });

  it('masks a GraphQLError whose code is not in the registry', () => {
    const wrapped = toAppError(new GraphQLError('select failed', { extensions: { code: 'SQL_ERROR' } }));
    expect(wrapped.code).toBe('INTERNAL_SERVER_ERROR');
    expect(wrapped.message).toBe('Internal server error');
  });
});
