import { appError, type AppError } from '@novacron/errors';

/** The one message a client sees for any token failure; the reason stays in the cause, for logs. */
export const invalidTokenMessage = 'invalid or expired token';

/** An UNAUTHENTICATED error with a generic message, keeping the real reason as its cause. */
export function invalidToken(reason: unknown): AppError {
  const cause = reason instanceof Error ? reason : new Error(String(reason));
  return appError('UNAUTHENTICATED', invalidTokenMessage, {}, cause);
}
