import { GraphQLError } from 'graphql';
import { httpStatusFor, isErrorCode, type ErrorCode } from './errorCodes.ts';

/** Extra, client-safe facts attached to an error (the offending field, a conflicting operation id, …). */
export type AppErrorDetails = Record<string, unknown> & {
  /** The input field at fault, as a dotted path (`input.region`). */
  field?: string;
};

/**
 * The one error class of NovaCron. Its message and details are safe to show clients; `cause`
 * (also graphql-js' `originalError` when it is an Error) keeps the underlying error for logs only.
 */
export class AppError extends GraphQLError {
  readonly code: ErrorCode;
  override readonly cause: unknown;

  constructor(code: ErrorCode, message: string, details: AppErrorDetails = {}, cause?: unknown) {
    super(message, { extensions: { ...details, code }, originalError: cause instanceof Error ? cause : undefined });
    this.name = 'AppError';
    this.code = code;
    this.cause = cause;
  }
}

/** Creates an AppError; the one factory resolvers and domain code use. */
export function appError(code: ErrorCode, message: string, details?: AppErrorDetails, cause?: unknown): AppError {
  return new AppError(code, message, details, cause);
}

/** A BAD_USER_INPUT error naming the field at fault. */
export function badInput(field: string, message: string, details: AppErrorDetails = {}): AppError {
  return new AppError('BAD_USER_INPUT', message, { ...details, field });
}

/** A NOT_FOUND error for a kind of thing and its id. */
export function notFound(kind: string, id: string): AppError {
  return new AppError('NOT_FOUND', `${kind} ${id} was not found`, { kind, id });
}

/** Response headers to send with a request-level error (`retry-after`, `www-authenticate`). */
export type HttpHeaders = Readonly<Record<string, string>>;

/**
 * The same error, marked as the answer to the whole HTTP request: `extensions.http.status` is the
 * registry's status for its code (Apollo Server sends it and removes `http` from the body). Only for
 * refusals before execution (authentication, rate limit, safelist, operation limits): on an error
 * raised by a resolver, a status would turn a partial result into a failed response, and a subgraph's
 * answer into a fetch error at the gateway that loses the code.
 */
export function withHttpStatus(error: AppError, headers: HttpHeaders = {}): AppError {
  const { code: _code, http: _http, ...details } = error.extensions;
  const marked = new AppError(error.code, error.message, details, error.cause);
  marked.extensions.http = { status: httpStatusFor(error.code), headers: new Map(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])) };
  return marked;
}

/** An AppError that refuses the whole HTTP request, with the registry's status; see {@link withHttpStatus}. */
export function requestError(code: ErrorCode, message: string, details: AppErrorDetails = {}, headers: HttpHeaders = {}): AppError {
  return withHttpStatus(new AppError(code, message, details), headers);
}

/**
 * Wraps anything thrown into an AppError. An AppError passes through; a GraphQLError with a
 * registered code keeps its code, message and details; anything else (a SQL error, a bug) becomes
 * INTERNAL_SERVER_ERROR with the masked message "Internal server error", the original kept as `cause`.
 */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof GraphQLError && isErrorCode(error.extensions.code)) {
    const { code, http, ...details } = error.extensions;
    const wrapped = new AppError(code, error.message, details, error);
    return http === undefined ? wrapped : withHttpStatus(wrapped);
  }
  return new AppError('INTERNAL_SERVER_ERROR', 'Internal server error', {}, error);
}
