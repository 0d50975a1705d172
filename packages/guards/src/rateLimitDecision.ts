import type { RateLimitDecision } from './RateLimiter.ts';

/** Turns a window's count and time left into a decision; both implementations share it. */
export function rateLimitDecision(count: number, points: number, msUntilReset: number): RateLimitDecision {
  const allowed = count <= points;
  return {
    allowed,
    remaining: Math.max(0, points - count),
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil(msUntilReset / 1000)),
  };
}
