import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { RateLimiter } from './RateLimiter.ts';
import { consumePoint } from './rateLimitDecision.ts';

/**
 * A per-process fixed-window limiter (rate-limiter-flexible's RateLimiterMemory). Each key's window
 * is dropped by an unref'd timer when it ends, so memory stays bounded by the keys seen in the last window.
 */
export function createMemoryRateLimiter(points: number, windowSeconds: number): RateLimiter {
  const limiter = new RateLimiterMemory({ points, duration: windowSeconds });
  const close = async () => {
    // The library has no close: its per-key timers are unref'd and the windows go with the limiter.
  };
  return {
    kind: 'memory',
    consume: (key) => consumePoint(limiter, key),
    close,
    [Symbol.asyncDispose]: close,
  };
}
