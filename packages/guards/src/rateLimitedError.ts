import { AppError } from '@novacron/errors';

/** The RATE_LIMITED error a refused request gets; `retryAfterSeconds` also belongs in a Retry-After header. */
export function rateLimitedError(retryAfterSeconds: number): AppError {
  return new AppError('RATE_LIMITED', 'too many requests; retry later', { retryAfterSeconds });
}
