import { requestError, type AppError } from '@novacron/errors';

/** The RATE_LIMITED error a refused request gets: HTTP 429 (from the registry) with a Retry-After header. */
export function rateLimitedError(retryAfterSeconds: number): AppError {
  return requestError('RATE_LIMITED', 'too many requests; retry later', { retryAfterSeconds }, { 'retry-after': String(retryAfterSeconds) });
}
