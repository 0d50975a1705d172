import { createMemoryRateLimiter } from './createMemoryRateLimiter.ts';
import { createRedisRateLimiter } from './createRedisRateLimiter.ts';
import type { RateLimiter, RateLimiterOptions } from './RateLimiter.ts';

/**
 * Creates a fixed-window rate limiter: each key may make `points` requests per window, the window
 * starting at its first request (rate-limiter-flexible). With `redisUrl` the counters live in Redis (atomic Lua, shared by
 * every replica; counted in this process with `onError` while Redis is unavailable); without it, in this process.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  if (!Number.isInteger(options.points) || options.points < 1) throw new RangeError(`points must be a positive integer, got ${options.points}`);
  // rate-limiter-flexible's Redis store keeps whole-second expiries (a 0.5 s window would never expire).
  if (!Number.isInteger(options.windowSeconds) || options.windowSeconds < 1) throw new RangeError(`windowSeconds must be a positive integer, got ${options.windowSeconds}`);
  if (options.redisUrl === undefined) return createMemoryRateLimiter(options.points, options.windowSeconds);
  return createRedisRateLimiter({
    points: options.points,
    windowSeconds: options.windowSeconds,
    redisUrl: options.redisUrl,
    redisPrefix: options.redisPrefix ?? 'novacron',
    timeoutMs: options.redisTimeoutMs ?? 250,
    onError: options.onError,
  });
}
