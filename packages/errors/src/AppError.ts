import { GraphQLError } from 'graphql';
import type { ErrorCode } from './errorCodes.ts';

/** Extra, client-safe facts attached to an error (the offending field, a conflicting operation id, …). */
export type AppErrorDetails = Record<string, unknown> & {
  /** The input field at fault, as a dotted path (`input.region`). */
  field?: string;
};

/**
 * The one error class of NovaCron. Its message and details are safe to show clients; `cause`
 * keeps the underlying error for logs only.
 */
export class AppError extends GraphQLError {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, details: AppErrorDetails = {}, cause?: unknown) {
    super(message, { extensions: { ...details, code }, originalError: cause instanceof Error ? cause : undefined });
    this.name = 'AppError';
    this.code = code;
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
