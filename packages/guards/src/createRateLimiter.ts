import { createMemoryRateLimiter } from './createMemoryRateLimiter.ts';
import { createRedisRateLimiter } from './createRedisRateLimiter.ts';
import type { RateLimiter, RateLimiterOptions } from './RateLimiter.ts';

/**
 * Creates a fixed-window rate limiter: each key may make `points` requests per window, the window
 * starting at its first request. With `redisUrl` the counters live in Redis (atomic Lua, shared by
 * every replica; counted in this process with `onError` while Redis is unavailable); without it, in this process.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  if (!Number.isInteger(options.points) || options.points < 1) throw new RangeError(`points must be a positive integer, got ${options.points}`);
  if (!Number.isFinite(options.windowSeconds) || options.windowSeconds <= 0) throw new RangeError(`windowSeconds must be positive, got ${options.windowSeconds}`);
  const windowMs = Math.max(1, Math.round(options.windowSeconds * 1000));
  if (options.redisUrl === undefined) return createMemoryRateLimiter(options.points, windowMs, options.now ?? Date.now);
  return createRedisRateLimiter({
    points: options.points,
    windowMs,
    redisUrl: options.redisUrl,
    redisPrefix: options.redisPrefix ?? 'novacron',
    timeoutMs: options.redisTimeoutMs ?? 250,
    onError: options.onError,
    now: options.now,
  });
}
