import { describe, expect, it } from 'vitest';
import { defaultPolicy, type PlacementState } from '../src/domain/PlacementPolicy.ts';
import { createPlacementStateCache } from '../src/domain/placementStateCache.ts';
import type { PlacementResult } from '../src/domain/rankPlacements.ts';
import type { PlacementRequirements } from '../src/domain/validateRequirements.ts';

const stateFor = (label: string): PlacementState => ({ policy: { ...defaultPolicy, deniedInstanceFamilies: [label] }, quotas: new Map(), usage: new Map(), blocked: new Set(), outcomes: new Map() });
const requirements: PlacementRequirements = { vcpus: 2, memoryGib: 4, arch: null, gpu: null, providers: null, regions: null, preferRegions: [], maxHourlyPrice: null, spot: false };
const emptyResult = (): PlacementResult => ({ candidates: [], feasibleCount: 0, rejected: [] });

/** A loader whose loads finish when the test says so, counting them. */
function controlledLoader() {
  const pending: { tenantId: string; resolve: (state: PlacementState) => void; reject: (error: Error) => void }[] = [];
  const load = (tenantId: string) => new Promise<PlacementState>((resolve, reject) => pending.push({ tenantId, resolve, reject }));
  return { load, pending };
}

describe('createPlacementStateCache', () => {
  it('shares one load between concurrent requests of a tenant, and keeps tenants apart', async () => {
    const loader = controlledLoader();
    const cache = createPlacementStateCache({ load: loader.load, maxAgeMs: 60_000 });
    const first = cache.get('acme');
    const second = cache.get('acme');
    const other = cache.get('globex');
    expect(loader.pending.map((load) => load.tenantId)).toEqual(['acme', 'globex']);
    loader.pending[0]!.resolve(stateFor('acme'));
    loader.pending[1]!.resolve(stateFor('globex'));
    expect(await first).toBe(await second);
    expect((await other).policy.deniedInstanceFamilies).toEqual(['globex']);
    expect(await cache.get('acme')).toBe(await first);
    expect(loader.pending).toHaveLength(2);
  });

  it('loads again after an invalidation, and never serves a load that started before it', async () => {
    const loader = controlledLoader();
    const cache = createPlacementStateCache({ load: loader.load, maxAgeMs: 60_000 });
    const before = cache.get('acme');
    cache.invalidate(); // a write commits while the first load is still reading
    const after = cache.get('acme');
    expect(loader.pending).toHaveLength(2);
    loader.pending[0]!.resolve(stateFor('old'));
    loader.pending[1]!.resolve(stateFor('new'));
    expect((await before).policy.deniedInstanceFamilies).toEqual(['old']);
    expect((await after).policy.deniedInstanceFamilies).toEqual(['new']);
    expect((await cache.get('acme')).policy.deniedInstanceFamilies).toEqual(['new']);
  });

  it('does not keep a failed load', async () => {
    const loader = controlledLoader();
    const cache = createPlacementStateCache({ load: loader.load, maxAgeMs: 60_000 });
    const failed = cache.get('acme');
    loader.pending[0]!.reject(new Error('database down'));
    await expect(failed).rejects.toThrow('database down');
    const retried = cache.get('acme');
    expect(loader.pending).toHaveLength(2);
    loader.pending[1]!.resolve(stateFor('acme'));
    expect((await retried).policy.deniedInstanceFamilies).toEqual(['acme']);
  });

  it('loads again once a state is older than maxAgeMs', async () => {
    let loads = 0;
    const cache = createPlacementStateCache({ load: async () => stateFor(`load-${++loads}`), maxAgeMs: 20 });
    await cache.get('acme');
    await cache.get('acme');
    expect(loads).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect((await cache.get('acme')).policy.deniedInstanceFamilies).toEqual(['load-2']);
  });

  it('ranks a request once per state, and again for another state or request', () => {
    const cache = createPlacementStateCache({ load: async () => stateFor('x'), maxAgeMs: 60_000 });
    let computed = 0;
    const compute = () => (computed += 1, emptyResult());
    const state = stateFor('a');
    const result = cache.rank(state, requirements, 5, compute);
    expect(cache.rank(state, { ...requirements }, 5, compute)).toBe(result);
    expect(computed).toBe(1);
    cache.rank(state, requirements, 3, compute);
    cache.rank(state, { ...requirements, spot: true }, 5, compute);
    cache.rank(stateFor('b'), requirements, 5, compute);
    expect(computed).toBe(4);
  });

  it('with maxAgeMs 0 loads and ranks on every request', async () => {
    let loads = 0;
    const cache = createPlacementStateCache({ load: async () => (loads += 1, stateFor('x')), maxAgeMs: 0 });
    const state = await cache.get('acme');
    await cache.get('acme');
    let computed = 0;
    cache.rank(state, requirements, 5, () => (computed += 1, emptyResult()));
    cache.rank(state, requirements, 5, () => (computed += 1, emptyResult()));
    expect([loads, computed]).toEqual([2, 2]);
  });

  it('raises a tenant’s version on its own invalidation and every version on a shared one, never lowering one', async () => {
    const cache = createPlacementStateCache({ load: async (tenantId) => stateFor(tenantId), maxAgeMs: 60_000 });
    const acme = await cache.lease('acme');
    const globex = await cache.lease('globex');
    cache.invalidate('acme');
    expect(cache.version('acme')).toBeGreaterThan(acme.version);
    expect(cache.version('globex')).toBe(globex.version);
    expect(await cache.lease('globex')).toMatchObject({ version: globex.version, state: globex.state });
    const reloaded = await cache.lease('acme');
    expect(reloaded.state).not.toBe(acme.state);
    expect(reloaded.version).toBe(cache.version('acme'));
    const before = cache.version('acme');
    cache.invalidate(); // a create outcome: every tenant ranks by it
    expect(cache.version('acme')).toBeGreaterThan(before);
    expect(cache.version('globex')).toBeGreaterThan(globex.version);
    expect((await cache.lease('globex')).state).not.toBe(globex.state);
  });

  it('leases a state until maxAgeMs after its load started', async () => {
    const cache = createPlacementStateCache({ load: async () => stateFor('x'), maxAgeMs: 5_000 });
    const before = Date.now();
    const lease = await cache.lease('acme');
    expect(lease.validUntil).toBeGreaterThanOrEqual(before + 5_000);
    expect(lease.validUntil).toBeLessThanOrEqual(Date.now() + 5_000);
    expect((await cache.lease('acme')).validUntil).toBe(lease.validUntil);
  });
});
