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
 * reservations, attempt reports) invalidates all of them before its mutation answers, so a client
 * reads its own writes. Changes made elsewhere (another replica, the vms stream follower, a
 * reservation expiring) show within `maxAgeMs`. Quota enforcement never reads this cache:
 * `_placeVm` and `_reserveCapacity` load the state fresh and reserve under the quota row's lock.
 */
export interface PlacementStateCache {
  /** The tenant's state; concurrent misses share one load. */
  get(tenantId: string): Promise<PlacementState>;
  /** The ranked result of `requirements` (first `first`) against `state`, computed once per state. */
  rank(state: PlacementState, requirements: PlacementRequirements, first: number, compute: () => PlacementResult): PlacementResult;
  /** Forgets every state (a write changed policy, quotas, usage or outcomes). */
  invalidate(): void;
}

/** Ranked results kept per state; a state lives `maxAgeMs`, so few distinct requests arrive in it. */
const resultsPerState = 64;

/** Creates the cache over `load` (one query per tenant: loadPlacementState). `maxAgeMs` 0 disables it. */
export function createPlacementStateCache(options: { load: (tenantId: string) => Promise<PlacementState>; maxAgeMs: number; maxTenants?: number }): PlacementStateCache {
  // A generation, not deletion, marks invalidation: a load that started before a write finishes
  // after it, and must not be served to requests that arrive after the write.
  let generation = 0;
  const states = options.maxAgeMs > 0 ? new LRUCache<string, { generation: number; state: Promise<PlacementState> }>({ max: options.maxTenants ?? 10_000, ttl: options.maxAgeMs }) : null;
  const results = new WeakMap<PlacementState, Map<string, PlacementResult>>();
  return {
    get(tenantId) {
      if (!states) return options.load(tenantId);
      const hit = states.get(tenantId);
      if (hit && hit.generation === generation) return hit.state;
      const entry = { generation, state: options.load(tenantId) };
      states.set(tenantId, entry);
      entry.state.catch(() => {
        if (states.get(tenantId) === entry) states.delete(tenantId);
      });
      return entry.state;
    },
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
    invalidate() {
      generation += 1;
    },
  };
}
