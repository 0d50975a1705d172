import { Redis } from 'ioredis';
import { createMemoryRateLimiter } from './createMemoryRateLimiter.ts';
import type { RateLimitDecision, RateLimiter } from './RateLimiter.ts';
import { rateLimitDecision } from './rateLimitDecision.ts';

/** Options for {@link createRedisRateLimiter}. */
export interface RedisRateLimiterOptions {
  points: number;
  windowMs: number;
  redisUrl: string;
  redisPrefix: string;
  timeoutMs: number;
  onError?: (error: unknown) => void;
  /** Clock of the fallback counters used while Redis is unavailable. */
  now?: () => number;
}

// One round trip, atomic: the first request of a window creates the counter and starts its expiry;
// later ones only increment, so refused requests never stretch the window. A counter that somehow
// lost its expiry gets one again rather than blocking its key forever.
const consumeScript = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`;

interface ConsumeCommand {
  novacronRateLimitConsume(key: string, windowMs: number): Promise<[number, number]>;
}

/**
 * A fixed-window limiter whose counters live in Redis, shared by every replica. If Redis is down,
 * slow or unreachable, the request is counted by an in-process limiter with the same budget (each
 * replica then limits on its own) and `onError` hears why: an outage of the limiter must neither
 * become an outage of the API nor switch limiting off. Requests wait at most `timeoutMs` for Redis.
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  const redis = new Redis(options.redisUrl, {
    lazyConnect: true,
    // Fail fast while disconnected instead of queueing requests behind an outage.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.timeoutMs,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
  });
  // Connection errors are reported per request through onError; without a listener ioredis would log each one.
  redis.on('error', () => {});
  redis.defineCommand('novacronRateLimitConsume', { numberOfKeys: 1, lua: consumeScript });
  const command = redis as unknown as ConsumeCommand;
  const firstConnection = redis.connect().catch(() => {});
  // The first requests wait for the first connection, together and at most timeoutMs, instead of counting locally at once.
  let firstConnectionWait: Promise<void> | undefined;
  const fallback = createMemoryRateLimiter(options.points, options.windowMs, options.now ?? Date.now);
  const countLocally = (key: string, error: unknown): Promise<RateLimitDecision> => {
    try {
      options.onError?.(new Error('Redis rate limiter unavailable; counting in this process', { cause: error }));
    } catch {
      // A throwing reporter must not turn the fallback path into a failed request.
    }
    return fallback.consume(key);
  };
  const close = async () => {
    redis.disconnect();
    await fallback.close();
  };
  return {
    kind: 'redis',
    async consume(key) {
      try {
        await (firstConnectionWait ??= withTimeout(firstConnection, options.timeoutMs));
        const [count, ttl] = await command.novacronRateLimitConsume(`${options.redisPrefix}:ratelimit:${key}`, options.windowMs);
        return rateLimitDecision(count, options.points, ttl);
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
