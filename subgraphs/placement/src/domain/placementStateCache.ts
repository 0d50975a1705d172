import { LRUCache } from 'lru-cache';
import type { PlacementState } from './PlacementPolicy.ts';
import type { PlacementResult } from './rankPlacements.ts';
import type { PlacementRequirements } from './validateRequirements.ts';

/**
 * The tenant state `placementOptions` ranks against (policy, quotas, usage, recent outcomes), kept
 * briefly so a burst of requests shares one query and one ranking. Measured reason: the state query
 * and the ranking were about a fifth of the placement process's CPU per request (docs/benchmarks.md).
 *
 * Freshness: a state is at most `maxAgeMs` old, and every write this process makes (policy, quota,
 * reservations, attempt reports) invalidates the states it may change before its mutation answers, so
 * a client reads its own writes. Changes made elsewhere (another replica, the vms stream follower, a
 * reservation expiring) show within `maxAgeMs`. Quota enforcement never reads this cache:
 * `_placeVm` and `_reserveCapacity` load the state fresh and reserve under the quota row's lock.
 *
 * Versions: each tenant's state has a version, a number that only grows, raised by every
 * invalidation of that tenant (its policy, quotas, reservations, its VMs' usage) or of every tenant
 * (create outcomes and capacity blocks are shared by all tenants). Anything computed from a state
 * (a ranked result, a cached response) is valid while the tenant's version is unchanged and at most
 * until the state's `validUntil`.
 */
export interface PlacementStateCache {
  /** The tenant's state; concurrent misses share one load. */
  get(tenantId: string): Promise<PlacementState>;
  /** The tenant's state with the version it was loaded under and when it stops being fresh enough to serve. */
  lease(tenantId: string): Promise<StateLease>;
  /** The tenant's current state version. */
  version(tenantId: string): number;
  /** The ranked result of `requirements` (first `first`) against `state`, computed once per state. */
  rank(state: PlacementState, requirements: PlacementRequirements, first: number, compute: () => PlacementResult): PlacementResult;
  /** Forgets the tenant's state (a write changed its policy, quotas, reservations or usage), or every tenant's (shared outcomes, or unknown). */
  invalidate(tenantId?: string): void;
}

/** A loaded state, the tenant version it belongs to, and the `Date.now()` after which it is too old to serve. */
export interface StateLease {
  state: PlacementState;
  version: number;
  validUntil: number;
}

/** Ranked results kept per state; a state lives `maxAgeMs`, so few distinct requests arrive in it. */
const resultsPerState = 64;

/** Tenants with their own invalidation mark; past this the marks are folded into one global invalidation. */
const maxTenantMarks = 100_000;

/** Creates the cache over `load` (one query per tenant: loadPlacementState). `maxAgeMs` 0 disables it. */
export function createPlacementStateCache(options: { load: (tenantId: string) => Promise<PlacementState>; maxAgeMs: number; maxTenants?: number }): PlacementStateCache {
  // Versions, not deletion, mark invalidation: a load that started before a write finishes after
  // it, and must not be served to requests that arrive after the write. One sequence numbers every
  // invalidation; a tenant's version is the latest one that concerned it.
  let sequence = 0;
  let everyTenantAt = 0;
  const tenantAt = new Map<string, number>();
  const version = (tenantId: string) => Math.max(everyTenantAt, tenantAt.get(tenantId) ?? 0);
  type Entry = { version: number; validUntil: number; state: Promise<PlacementState> };
  const states = options.maxAgeMs > 0 ? new LRUCache<string, Entry>({ max: options.maxTenants ?? 10_000, ttl: options.maxAgeMs }) : null;
  const results = new WeakMap<PlacementState, Map<string, PlacementResult>>();
  const entryFor = (tenantId: string): Entry => {
    const current = version(tenantId);
    if (!states) return { version: current, validUntil: Date.now(), state: options.load(tenantId) };
    const hit = states.get(tenantId);
    if (hit && hit.version === current) return hit;
    // Valid from before the load starts: the state read may be up to maxAgeMs old when served.
    const entry = { version: current, validUntil: Date.now() + options.maxAgeMs, state: options.load(tenantId) };
    states.set(tenantId, entry);
    entry.state.catch(() => {
      if (states.get(tenantId) === entry) states.delete(tenantId);
    });
    return entry;
  };
  return {
    get: (tenantId) => entryFor(tenantId).state,
    async lease(tenantId) {
      const entry = entryFor(tenantId);
      return { state: await entry.state, version: entry.version, validUntil: entry.validUntil };
    },
    version,
    rank(state, requirements, first, compute) {
      if (!states) return compute();
      let byRequest = results.get(state);
      if (!byRequest) results.set(state, (byRequest = new Map()));
      const key = `${first}:${JSON.stringify(requirements)}`;
      let result = byRequest.get(key);
      if (!result) {
        if (byRequest.size >= resultsPerState) byRequest.clear();
        result = compute();
        byRequest.set(key, result);
      }
      return result;
    },
    invalidate(tenantId) {
      sequence += 1;
      if (tenantId === undefined || tenantAt.size >= maxTenantMarks) {
        // Folding the marks into one global mark keeps every version monotonic.
        everyTenantAt = sequence;
        tenantAt.clear();
        if (tenantId === undefined) return;
      }
      tenantAt.set(tenantId, sequence);
    },
  };
}
