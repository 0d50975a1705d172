import { describe, expect, it } from 'vitest';
import { createResponseCache } from '../src/cache/createResponseCache.ts';

describe('createResponseCache', () => {
  it('drops only the invalidated tenant’s entries', () => {
    const cache = createResponseCache({ maxEntries: 100, maxAgeMs: 60_000 });
    cache.set('alpha-list', 'alpha', { data: { n: 1 } }, cache.sequence());
    cache.set('bravo-list', 'bravo', { data: { n: 2 } }, cache.sequence());
    cache.invalidateTenant('alpha');
    expect(cache.get('alpha-list')).toBeUndefined();
    expect(cache.get('bravo-list')).toEqual({ data: { n: 2 } });
  });

  it('refuses a result executed while its tenant was invalidated, and accepts one started after', () => {
    const cache = createResponseCache({ maxEntries: 100, maxAgeMs: 60_000 });
    const startedBefore = cache.sequence();
    cache.invalidateTenant('alpha');
    expect(cache.set('list', 'alpha', { data: { stale: true } }, startedBefore)).toBe(false);
    expect(cache.get('list')).toBeUndefined();
    // Another tenant's invalidation does not refuse alpha's result.
    const startedAfter = cache.sequence();
    cache.invalidateTenant('bravo');
    expect(cache.set('list', 'alpha', { data: { fresh: true } }, startedAfter)).toBe(true);
    expect(cache.get('list')).toEqual({ data: { fresh: true } });
    expect(cache.stats()).toMatchObject({ refused: 1, stored: 1, invalidations: 2 });
  });

  it('serves nothing older than maxAgeMs', async () => {
    const cache = createResponseCache({ maxEntries: 100, maxAgeMs: 20 });
    cache.set('list', 'alpha', { data: {} }, cache.sequence());
    expect(cache.get('list')).toEqual({ data: {} });
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(cache.get('list')).toBeUndefined();
  });
});
