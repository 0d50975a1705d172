import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { AppError, badInput, createErrorFormatter, errorCodes, httpStatusFor, notFound } from '../src/index.ts';

function format(production: boolean, error: GraphQLError, masked: unknown[] = []) {
  const formatter = createErrorFormatter({ production, onMasked: (cause) => masked.push(cause) });
  return formatter(error.toJSON(), error);
}

describe('createErrorFormatter', () => {
  it('passes registered codes through with their fields', () => {
    const formatted = format(true, badInput('input.name', 'name must not be empty'));
    expect(formatted).toMatchObject({ message: 'name must not be empty', extensions: { code: 'BAD_USER_INPUT', field: 'input.name' } });
  });

  it('masks an unknown error in production and hands the cause to the logs', () => {
    const masked: unknown[] = [];
    const cause = new Error('relation "vms.vms" does not exist');
    const formatted = format(true, new GraphQLError('Failed query: select * from vms.vms', { originalError: cause }), masked);
    expect(formatted).toEqual({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' }, locations: undefined, path: undefined });
    expect(masked).toEqual([cause]);
  });

  it('keeps the message in development but still marks it INTERNAL_SERVER_ERROR', () => {
    const formatted = format(false, new GraphQLError('boom'));
    expect(formatted.message).toBe('boom');
    expect(formatted.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
  });

  it('answers a classified unregistered error with its code and a generic message, and still logs the cause', () => {
    const masked: unknown[] = [];
    const cause = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    const formatter = createErrorFormatter({
      production: true,
      onMasked: (error) => masked.push(error),
      classify: (error) => ((error as { code?: string }).code === '57P01' ? { code: 'UNAVAILABLE', message: 'The database is unavailable; retry shortly' } : undefined),
    });
    const error = new GraphQLError('Failed query: select 1', { originalError: cause, path: ['vms'] });
    expect(formatter(error.toJSON(), error)).toEqual({ message: 'The database is unavailable; retry shortly', extensions: { code: 'UNAVAILABLE' }, locations: undefined, path: ['vms'] });
    expect(masked).toEqual([cause]);
    const other = new GraphQLError('boom', { originalError: new Error('boom') });
    expect(formatter(other.toJSON(), other).extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
  });

  it('removes stack traces in production even from typed errors', () => {
    const error = new AppError('CONFLICT', 'busy');
    const formatted = createErrorFormatter({ production: true })({ message: 'busy', extensions: { code: 'CONFLICT', stacktrace: ['at x'] } }, error);
    expect(formatted.extensions).toEqual({ code: 'CONFLICT' });
  });
});

describe('error registry', () => {
  it('maps every code to an HTTP status', () => {
    for (const code of Object.keys(errorCodes) as (keyof typeof errorCodes)[]) expect(httpStatusFor(code)).toBeGreaterThanOrEqual(400);
    expect(httpStatusFor('NOT_FOUND')).toBe(404);
    expect(notFound('VM', 'x').extensions).toMatchObject({ code: 'NOT_FOUND', kind: 'VM', id: 'x' });
  });
});
