// Hand-rolled: Apollo's response-cache plugin expires by cache hints only and runs after parse and validation; this one is keyed by the tenant's placement-state version and answered before Apollo.
import type { OperationDefinitionNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import { formatResponseMaxAge, responseMaxAgeHeader } from '@novacron/server-kit';
import type { EarlyResponses, PostedRequest, RequestPrincipal } from '@novacron/subgraph-kit';
import type { RequestContext } from '../context.ts';
import type { PlacementStateCache, StateLease } from '../domain/placementStateCache.ts';

/** Root fields a cached response may select: placementOptions is a function of its arguments and the tenant's placement state only. */
const cacheableRootFields = new Set(['placementOptions', '__typename']);

/** Counts of the cache, for tests and the benchmark. */
export interface PlacementResponseCacheStats {
  hits: number;
  misses: number;
  stored: number;
}

/** The placement subgraph's early responses, with its counts. */
export interface PlacementResponseCache extends EarlyResponses<RequestContext> {
  stats(): PlacementResponseCacheStats;
}

interface Entry {
  body: string;
  /** The tenant's placement-state version the answer was computed from. */
  version: number;
  /** When the state it ranked against stops being fresh (`Date.now()` ms): the bound sent to the gateway too. */
  validUntil: number;
}

/** Whether the operation selects only cacheable root fields, directly (no fragments at the root). */
function selectsOnlyCacheableFields(operation: OperationDefinitionNode): boolean {
  return operation.selectionSet.selections.every((selection) => selection.kind === 'Field' && cacheableRootFields.has(selection.name.value));
}

/**
 * The caller's part of the key: tenant and roles (sorted). System callers are never served from it:
 * their tenant is the request's argument, not theirs.
 */
function callerKey(caller: RequestPrincipal): string | null {
  if (caller.principal.kind !== 'user') return null;
  return `${caller.tenantId}\n${[...caller.principal.identity.roles].sort().join(',')}`;
}

/** The request's part: the document as posted (its text, as Apollo keys its parsed-document cache), the operation name and the variables. */
function requestKey(request: PostedRequest): string {
  // Length-prefixed rather than JSON-encoded: escaping the document's text was 4 % of a hit's CPU.
  return `${request.query.length}:${request.query}${request.operationName ?? ''}\n${JSON.stringify(request.variables ?? null)}`;
}

/**
 * Responses of `placementOptions` queries, answered before Apollo Server parses the request, keyed by
 * (document, operation name, variables, tenant, roles). Each is served only while the tenant's
 * placement-state version is the one its ranking read (every policy, quota or reservation write of the
 * tenant, every followed VM event of the tenant and every create-outcome change raises it) and never
 * after that state's `validUntil`, so a cached answer is never staler than the state cache allows
 * (`PLACEMENT_STATE_MAX_AGE_MS`). Only error-free answers whose every placementOptions field ranked
 * against the same state version are stored.
 */
export function createPlacementResponseCache(stateCache: PlacementStateCache, options: { maxEntries?: number } = {}): PlacementResponseCache {
  const entries = new LRUCache<string, Entry>({ max: options.maxEntries ?? 10_000, ttlAutopurge: false, ttlResolution: 0 });
  const stats: PlacementResponseCacheStats = { hits: 0, misses: 0, stored: 0 };
  return {
    lookup(caller, request) {
      const who = callerKey(caller);
      if (who === null) return null;
      const key = `${who}\n${requestKey(request)}`;
      const entry = entries.get(key);
      if (!entry || entry.version !== stateCache.version(caller.tenantId)) {
        if (entry) entries.delete(key);
        stats.misses += 1;
        return null;
      }
      stats.hits += 1;
      // The same reuse bound Apollo's answer carried (see reuseBoundOf), for the gateway's cache.
      return { body: entry.body, headers: { [responseMaxAgeHeader]: formatResponseMaxAge(entry.validUntil - Date.now()) } };
    },
    store(context, operation, request, body) {
      const leases: StateLease[] = context.stateLeases;
      if (leases.length === 0 || !selectsOnlyCacheableFields(operation)) return;
      const who = callerKey(context);
      const version = leases[0]!.version;
      if (who === null || leases.some((lease) => lease.version !== version) || version !== stateCache.version(context.tenantId)) return;
      const validUntil = Math.min(...leases.map((lease) => lease.validUntil));
      const ttl = validUntil - Date.now();
      if (ttl <= 0) return;
      entries.set(`${who}\n${requestKey(request)}`, { body, version, validUntil }, { ttl });
      stats.stored += 1;
    },
    stats: () => ({ ...stats }),
  };
}
