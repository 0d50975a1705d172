import { LRUCache } from 'lru-cache';

/** Options for {@link createResponseCache}. */
export interface ResponseCacheOptions {
  maxEntries: number;
  /** Backstop for values that change without an event (accruing cost): no entry is served older than this. */
  maxAgeMs: number;
}

/** Counts of a response cache, for the gateway's `stats()`. */
export interface ResponseCacheStats {
  entries: number;
  hits: number;
  misses: number;
  stored: number;
  /** Results not stored because their tenant was invalidated while they were being executed. */
  refused: number;
  invalidations: number;
}

/** Query results by key, each belonging to one tenant, invalidated a tenant at a time. */
export interface ResponseCache {
  get(key: string): unknown;
  /** The current invalidation sequence: read before executing, pass to {@link ResponseCache.set}. */
  sequence(): number;
  /** Stores a result unless its tenant was invalidated after `startSequence` (the result may predate the change). */
  set(key: string, tenantId: string, result: unknown, startSequence: number): boolean;
  /** Drops every cached result of a tenant (an event about one of its entities, or one of its mutations). */
  invalidateTenant(tenantId: string): void;
  stats(): ResponseCacheStats;
}

interface Entry {
  tenantId: string;
  result: unknown;
}

/**
 * An in-process LRU of query results (lru-cache). Invalidation is per tenant: an event about any of
 * a tenant's entities may add a row to, remove one from, or change one in any list the tenant has
 * cached (a VM leaving a status filter), so entries are not kept by the entity ids they show.
 */
export function createResponseCache(options: ResponseCacheOptions): ResponseCache {
  const byTenant = new Map<string, Set<string>>();
  const entries = new LRUCache<string, Entry>({
    max: options.maxEntries,
    ttl: options.maxAgeMs,
    dispose: (entry, key) => {
      const keys = byTenant.get(entry.tenantId);
      keys?.delete(key);
      if (keys?.size === 0) byTenant.delete(entry.tenantId);
    },
  });
  // The sequence number of each tenant's latest invalidation (a counter, not a clock: no ties).
  const invalidatedAt = new LRUCache<string, number>({ max: 100_000 });
  let sequence = 0;
  const stats = { hits: 0, misses: 0, stored: 0, refused: 0, invalidations: 0 };
  return {
    get(key) {
      const entry = entries.get(key);
      if (entry) stats.hits += 1;
      else stats.misses += 1;
      return entry?.result;
    },
    sequence: () => sequence,
    set(key, tenantId, result, startSequence) {
      if ((invalidatedAt.get(tenantId) ?? -1) > startSequence) {
        stats.refused += 1;
        return false;
      }
      entries.set(key, { tenantId, result });
      let keys = byTenant.get(tenantId);
      if (!keys) byTenant.set(tenantId, (keys = new Set()));
      keys.add(key);
      stats.stored += 1;
      return true;
    },
    invalidateTenant(tenantId) {
      sequence += 1;
      invalidatedAt.set(tenantId, sequence);
      stats.invalidations += 1;
      for (const key of [...(byTenant.get(tenantId) ?? [])]) entries.delete(key);
    },
    stats: () => ({ entries: entries.size, ...stats }),
  };
}
