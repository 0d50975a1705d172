import { createHash } from 'node:crypto';
import { createPrefixedRedis } from '@novacron/redis';
import type { Logger } from '@novacron/server-kit';
import type { ResponseCache, ResponseCacheOptions, ResponseCacheStats } from './createResponseCache.ts';

/**
 * The response cache in Redis, shared by every gateway replica of a deployment. Each tenant has a
 * generation counter (`rc:gen:<tenant>`); entries live under `rc:<tenant>:<generation>:<hash>` for
 * at most `maxAgeMs`. Invalidating a tenant increments its generation, so every replica's next
 * look-up misses, and a result executed across an invalidation is stored under the old generation,
 * where nobody reads it. Redis failing makes look-ups misses, never failed requests.
 * Keys sit under the deployment prefix (`REDIS_PREFIX`, through `@novacron/redis`).
 */
export function createRedisResponseCache(options: ResponseCacheOptions & { url: string; prefix: string; logger: Logger }): ResponseCache {
  const { logger } = options;
  // Fails fast while Redis is down (the request is served as a miss) and reconnects by itself.
  const { client } = createPrefixedRedis({ url: options.url, prefix: options.prefix, topics: {}, connection: { maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: (times) => Math.min(times * 200, 2_000) } });
  // Failed commands are counted and logged (once a minute) below; connection errors too would be noise.
  client.on('error', () => {});
  const stats: ResponseCacheStats = { kind: 'redis', hits: 0, misses: 0, stored: 0, refused: 0, invalidations: 0, notReusable: 0, failures: 0 };
  const generationKey = (tenantId: string) => `rc:gen:${tenantId}`;
  const entryKey = (tenantId: string, generation: number, key: string) => `rc:${tenantId}:${generation}:${createHash('sha256').update(key).digest('base64url')}`;
  let lastWarning = 0;
  const failed = (error: unknown) => {
    stats.failures += 1;
    // One warning a minute at most: a Redis outage would otherwise log once per request.
    if (Date.now() - lastWarning > 60_000) {
      lastWarning = Date.now();
      logger.warn({ err: error }, 'response cache in Redis unavailable; serving without it');
    }
  };
  const ready = new Promise<void>((resolve) => client.once('ready', () => resolve()));
  return {
    ready,
    async lookup(key, tenantId) {
      try {
        const generation = Number((await client.get(generationKey(tenantId))) ?? 0);
        const cached = await client.get(entryKey(tenantId, generation, key));
        if (cached !== null) {
          stats.hits += 1;
          return { hit: true, result: JSON.parse(cached) as unknown, body: cached };
        }
        stats.misses += 1;
        return { hit: false, generation };
      } catch (error) {
        failed(error);
        // Generation -1 is never stored under (see store).
        return { hit: false, generation: -1 };
      }
    },
    async store(key, tenantId, result, generation, maxAgeMs) {
      if (generation < 0) return;
      if (maxAgeMs !== undefined && !(maxAgeMs > 0)) {
        stats.notReusable += 1;
        return;
      }
      try {
        await client.set(entryKey(tenantId, generation, key), JSON.stringify(result), 'PX', Math.ceil(Math.min(options.maxAgeMs, maxAgeMs ?? Infinity)));
        stats.stored += 1;
      } catch (error) {
        failed(error);
      }
    },
    async invalidateTenant(tenantId) {
      stats.invalidations += 1;
      try {
        await client.incr(generationKey(tenantId));
      } catch (error) {
        failed(error);
      }
    },
    stats: () => ({ ...stats }),
    close: async () => {
      client.disconnect();
    },
  };
}
