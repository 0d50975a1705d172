import { RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimitDecision } from './RateLimiter.ts';

/**
 * Turns rate-limiter-flexible's outcome into our decision: `consume` resolves with a RateLimiterRes
 * when allowed and rejects with one when refused (any other rejection is a store failure).
 */
export function rateLimitDecision(result: RateLimiterRes, allowed: boolean): RateLimitDecision {
  return {
    allowed,
    remaining: result.remainingPoints,
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil(result.msBeforeNext / 1000)),
  };
}

/** Consumes one point of `key` and says whether the request may proceed; store failures are rethrown. */
export async function consumePoint(limiter: { consume(key: string): Promise<RateLimiterRes> }, key: string): Promise<RateLimitDecision> {
  try {
    return rateLimitDecision(await limiter.consume(key), true);
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return rateLimitDecision(rejection, false);
    throw rejection;
  }
}
