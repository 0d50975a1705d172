import { LRUCache } from 'lru-cache';

/** Options for {@link createResponseCache}. */
export interface ResponseCacheOptions {
  maxEntries: number;
  /** Backstop for values that change without an event (accruing cost): no entry is served older than this. */
  maxAgeMs: number;
}

/** Counts of a response cache, for the gateway's `stats()`. */
export interface ResponseCacheStats {
  kind: 'memory' | 'redis';
  hits: number;
  misses: number;
  stored: number;
  /** Results not stored because their tenant was invalidated while they were being executed. */
  refused: number;
  invalidations: number;
  /** Results not stored because a subgraph said they may not be served again (`x-novacron-max-age-ms: 0`). */
  notReusable: number;
  /** Cache operations that failed (Redis unavailable): served as misses, nothing stored. */
  failures: number;
}

/** What a look-up found: the cached result (and its JSON), or the tenant's generation to store a fresh result under. */
export type CacheLookup = { hit: true; result: unknown; body: string } | { hit: false; generation: number };

/** Query results by key, each belonging to one tenant, invalidated a tenant at a time. */
export interface ResponseCache {
  lookup(key: string, tenantId: string): Promise<CacheLookup>;
  /**
   * Stores a result unless its tenant was invalidated after `generation` was read (the result may
   * predate the change), for at most `maxAgeMs` (the subgraphs' bound, when shorter than the cache's).
   */
  store(key: string, tenantId: string, result: unknown, generation: number, maxAgeMs?: number): Promise<void>;
  /** Drops every cached result of a tenant (an event about one of its entities, or one of its mutations). */
  invalidateTenant(tenantId: string): Promise<void>;
  stats(): ResponseCacheStats;
  /** Resolves once the store is reachable (at once in process; Redis' first connection). Look-ups before it miss. */
  ready: Promise<void>;
  close(): Promise<void>;
}

interface Entry {
  tenantId: string;
  result: unknown;
  /** The result as JSON, what an answer served before Apollo sends. */
  body: string;
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
  const stats: ResponseCacheStats = { kind: 'memory', hits: 0, misses: 0, stored: 0, refused: 0, invalidations: 0, notReusable: 0, failures: 0 };
  return {
    ready: Promise.resolve(),
    async lookup(key, tenantId) {
      const entry = entries.get(`${tenantId}\n${key}`);
      if (entry) {
        stats.hits += 1;
        return { hit: true, result: entry.result, body: entry.body };
      }
      stats.misses += 1;
      return { hit: false, generation: sequence };
    },
    async store(key, tenantId, result, generation, maxAgeMs) {
      if ((invalidatedAt.get(tenantId) ?? -1) > generation) {
        stats.refused += 1;
        return;
      }
      if (maxAgeMs !== undefined && !(maxAgeMs > 0)) {
        stats.notReusable += 1;
        return;
      }
      // Keyed by tenant too, so no key a caller builds can reach another tenant's entry.
      const tenantKey = `${tenantId}\n${key}`;
      entries.set(tenantKey, { tenantId, result, body: JSON.stringify(result) }, { ttl: Math.min(options.maxAgeMs, maxAgeMs ?? Infinity) });
      let keys = byTenant.get(tenantId);
      if (!keys) byTenant.set(tenantId, (keys = new Set()));
      keys.add(tenantKey);
      stats.stored += 1;
    },
    async invalidateTenant(tenantId) {
      sequence += 1;
      invalidatedAt.set(tenantId, sequence);
      stats.invalidations += 1;
      for (const key of [...(byTenant.get(tenantId) ?? [])]) entries.delete(key);
    },
    stats: () => ({ ...stats }),
    close: async () => {
      entries.clear();
    },
  };
}
