import { AppError, type ErrorCode } from '@novacron/errors';
import { expect } from 'vitest';

/** Awaits a promise that must reject with an AppError of `code`; returns the error for further checks. */
export async function expectAppError(promise: Promise<unknown>, code: ErrorCode, message?: string): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(AppError);
  const appError = error as AppError;
  expect(appError.code).toBe(code);
  if (message !== undefined) expect(appError.message).toBe(message);
  return appError;
}

/** Awaits a token verification that must fail with the generic UNAUTHENTICATED; returns the logged cause. */
export async function expectInvalidToken(promise: Promise<unknown>): Promise<Error> {
  const error = await expectAppError(promise, 'UNAUTHENTICATED', 'invalid or expired token');
  expect(error.originalError).toBeInstanceOf(Error);
  return error.originalError as Error;
}
