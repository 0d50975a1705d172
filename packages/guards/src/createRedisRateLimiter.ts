import { RateLimiterRedis } from 'rate-limiter-flexible';
import { createPrefixedRedis } from '@novacron/redis';
import { createMemoryRateLimiter } from './createMemoryRateLimiter.ts';
import type { RateLimitDecision, RateLimiter } from './RateLimiter.ts';
import { consumePoint } from './rateLimitDecision.ts';

/** Options for {@link createRedisRateLimiter}. */
export interface RedisRateLimiterOptions {
  points: number;
  windowSeconds: number;
  redisUrl: string;
  redisPrefix: string;
  timeoutMs: number;
  onError?: (error: unknown) => void;
}

/**
 * A fixed-window limiter whose counters live in Redis (rate-limiter-flexible's RateLimiterRedis: one
 * atomic Lua script, `<redisPrefix>:ratelimit:<key>`), shared by every replica. If Redis is down, slow
 * or unreachable, the request is counted by an in-process limiter with the same budget (each replica
 * then limits on its own) and `onError` hears why: an outage of the limiter must neither become an
 * outage of the API nor switch limiting off. Requests wait at most `timeoutMs` for Redis.
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  const redis = createPrefixedRedis({
    url: options.redisUrl,
    prefix: options.redisPrefix,
    topics: {},
    connection: {
      lazyConnect: true,
      // Fail fast while disconnected instead of queueing requests behind an outage.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.timeoutMs,
      retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
    },
  });
  // Connection errors are reported per request through onError; without a listener ioredis would log each one.
  redis.client.on('error', () => {});
  // The connection's keyPrefix adds `<redisPrefix>:`, so keys are `<redisPrefix>:ratelimit:<key>`.
  const limiter = new RateLimiterRedis({ storeClient: redis.client, points: options.points, duration: options.windowSeconds, keyPrefix: 'ratelimit' });
  const firstConnection = redis.client.connect().catch(() => {});
  // The first requests wait for the first connection, together and at most timeoutMs, instead of counting locally at once.
  let firstConnectionWait: Promise<void> | undefined;
  // Not the library's insuranceLimiter option: that one would swallow the Redis error onError must report.
  const fallback = createMemoryRateLimiter(options.points, options.windowSeconds);
  const countLocally = (key: string, error: unknown): Promise<RateLimitDecision> => {
    try {
      options.onError?.(new Error('Redis rate limiter unavailable; counting in this process', { cause: error }));
    } catch {
      // A throwing reporter must not turn the fallback path into a failed request.
    }
    return fallback.consume(key);
  };
  const close = async () => {
    await redis.close();
    await fallback.close();
  };
  return {
    kind: 'redis',
    async consume(key) {
      try {
        await (firstConnectionWait ??= withTimeout(firstConnection, options.timeoutMs));
        return await consumePoint(limiter, key);
      } catch (error) {
        return countLocally(key, error);
      }
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

async function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([promise, timeout]);
  clearTimeout(timer);
}
