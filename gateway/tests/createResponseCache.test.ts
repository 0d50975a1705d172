import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@novacron/server-kit';
import { startRedis, type TestRedis } from '@novacron/testing';
import { createRedisResponseCache } from '../src/cache/createRedisResponseCache.ts';
import { createResponseCache, type ResponseCache, type ResponseCacheOptions } from '../src/cache/createResponseCache.ts';

let redis: TestRedis;
const opened: ResponseCache[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const cache of opened) await cache.close();
  await redis?.stop();
});

/** A Redis-backed cache; caches made with the same `prefix` share entries, as gateway replicas do. */
function redisCache(options: ResponseCacheOptions, prefix: string): ResponseCache {
  const cache = createRedisResponseCache({ ...options, logger: createLogger('cache-test', 'silent'), url: redis.url, prefix });
  opened.push(cache);
  return cache;
}

async function ready(cache: ResponseCache): Promise<ResponseCache> {
  await cache.ready;
  return cache;
}

const kinds: [string, (options: ResponseCacheOptions) => Promise<ResponseCache>][] = [
  ['in process', (options) => ready(createResponseCache(options))],
  ['in Redis', (options) => ready(redisCache(options, `rc-test-${randomBytes(4).toString('hex')}`))],
];

/** A hit on `result`, with the JSON an answer before Apollo sends. */
const hitOf = (result: unknown) => ({ hit: true, result, body: JSON.stringify(result) });

async function fill(cache: ResponseCache, key: string, tenantId: string, result: unknown) {
  const found = await cache.lookup(key, tenantId);
  if (found.hit) throw new Error(`${key} was already cached`);
  await cache.store(key, tenantId, result, found.generation);
}

describe.each(kinds)('the response cache %s', (_kind, create) => {
  it('drops only the invalidated tenant’s entries', async () => {
    const cache = await create({ maxEntries: 100, maxAgeMs: 60_000 });
    await fill(cache, 'list', 'alpha', { data: { n: 1 } });
    await fill(cache, 'list', 'bravo', { data: { n: 2 } });
    expect(await cache.lookup('list', 'alpha')).toEqual(hitOf({ data: { n: 1 } }));
    await cache.invalidateTenant('alpha');
    expect((await cache.lookup('list', 'alpha')).hit).toBe(false);
    expect(await cache.lookup('list', 'bravo')).toEqual(hitOf({ data: { n: 2 } }));
  });

  it('never serves a result executed while its tenant was invalidated', async () => {
    const cache = await create({ maxEntries: 100, maxAgeMs: 60_000 });
    const before = await cache.lookup('list', 'alpha');
    if (before.hit) throw new Error('unexpected hit');
    await cache.invalidateTenant('alpha');
    await cache.store('list', 'alpha', { data: { stale: true } }, before.generation);
    expect((await cache.lookup('list', 'alpha')).hit).toBe(false);
    // Another tenant's invalidation does not keep alpha's fresh result out.
    const fresh = await cache.lookup('list', 'alpha');
    if (fresh.hit) throw new Error('unexpected hit');
    await cache.invalidateTenant('bravo');
    await cache.store('list', 'alpha', { data: { fresh: true } }, fresh.generation);
    expect(await cache.lookup('list', 'alpha')).toEqual(hitOf({ data: { fresh: true } }));
  });

  it('serves nothing older than maxAgeMs', async () => {
    const cache = await create({ maxEntries: 100, maxAgeMs: 30 });
    await fill(cache, 'list', 'alpha', { data: {} });
    expect((await cache.lookup('list', 'alpha')).hit).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect((await cache.lookup('list', 'alpha')).hit).toBe(false);
  });

  it('keeps a result no longer than the bound its subgraphs gave, and none they said not to reuse', async () => {
    const cache = await create({ maxEntries: 100, maxAgeMs: 60_000 });
    const bounded = await cache.lookup('bounded', 'alpha');
    const unbounded = await cache.lookup('unbounded', 'alpha');
    const never = await cache.lookup('never', 'alpha');
    if (bounded.hit || unbounded.hit || never.hit) throw new Error('unexpected hit');
    await cache.store('bounded', 'alpha', { data: { n: 1 } }, bounded.generation, 40);
    await cache.store('unbounded', 'alpha', { data: { n: 2 } }, unbounded.generation);
    await cache.store('never', 'alpha', { data: { n: 3 } }, never.generation, 0);
    expect((await cache.lookup('never', 'alpha')).hit).toBe(false);
    expect(cache.stats().notReusable).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 120));
    // Gone after its 40 ms although the cache keeps entries a minute; the unbounded one is still served.
    expect((await cache.lookup('bounded', 'alpha')).hit).toBe(false);
    expect(await cache.lookup('unbounded', 'alpha')).toEqual(hitOf({ data: { n: 2 } }));
  });
});

describe('the response cache in Redis, shared by replicas', () => {
  it('serves one replica’s result to another, and one replica’s invalidation stops both serving it', async () => {
    const prefix = `rc-test-${randomBytes(4).toString('hex')}`;
    const first = await ready(redisCache({ maxEntries: 100, maxAgeMs: 60_000 }, prefix));
    const second = await ready(redisCache({ maxEntries: 100, maxAgeMs: 60_000 }, prefix));
    const otherDeployment = await ready(redisCache({ maxEntries: 100, maxAgeMs: 60_000 }, `${prefix}-other`));
    await fill(first, 'list', 'alpha', { data: { n: 1 } });
    expect(await second.lookup('list', 'alpha')).toEqual(hitOf({ data: { n: 1 } }));
    expect((await otherDeployment.lookup('list', 'alpha')).hit).toBe(false);
    await second.invalidateTenant('alpha');
    expect((await first.lookup('list', 'alpha')).hit).toBe(false);
  });

  it('answers misses while Redis is down instead of failing', async () => {
    const cache = await ready(redisCache({ maxEntries: 100, maxAgeMs: 60_000 }, `rc-test-${randomBytes(4).toString('hex')}`));
    await fill(cache, 'list', 'alpha', { data: {} });
    await redis.stop();
    try {
      expect((await cache.lookup('list', 'alpha')).hit).toBe(false);
      await cache.store('list', 'alpha', { data: {} }, 0);
      await cache.invalidateTenant('alpha');
      expect(cache.stats().failures).toBeGreaterThan(0);
    } finally {
      await redis.start();
    }
  });
});
