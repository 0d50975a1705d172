import type { IncomingMessage } from 'node:http';
import { postedRequest, type EarlyAnswer } from '@novacron/server-kit';
import type { GatewayContext } from '../GatewayContext.ts';
import type { ResponseCache } from './createResponseCache.ts';
import { hashQuery, responseCacheKey } from './responseCacheKey.ts';
import { cacheStatusHeader } from './useResponseCache.ts';

/** Options for {@link answerFromCache}. */
export interface AnswerFromCacheOptions {
  cache: ResponseCache;
  /**
   * The caller's checks, the same promise Apollo's context awaits for this request (address and tenant
   * rate limits, token): a refused caller falls through to Apollo, which answers the refusal once.
   */
  admit(request: IncomingMessage): Promise<GatewayContext>;
  /** Observes an answer served from the cache (operation name as posted, seconds since the body was read). */
  onServed?(operationName: string | undefined, seconds: number): void;
}

/**
 * Serves a cached query result before Apollo Server parses, validates, plans and executes the request:
 * on this 2-core machine the gateway's Apollo pipeline alone (`{ __typename }`) was above the
 * placementOptions benchmark's p95 goal. Same entries as the cache plugin (`useResponseCache`), same
 * key, same invalidation; it only looks up. Only a plain posted query (a `query` string, no
 * `extensions`) is looked up: entries are only ever stored for queries that passed the guards with
 * that document and those variables (the guards are a function of both), so a hit is an answer the
 * pipeline gave this tenant and roles for this very request, and a mutation's or subscription's
 * document never has one. Persisted-query requests and anything unusual go to Apollo.
 */
export function answerFromCache(options: AnswerFromCacheOptions): (request: IncomingMessage, body: unknown) => Promise<EarlyAnswer | null> {
  return async (request, body) => {
    const started = performance.now();
    const posted = postedRequest(body);
    if (!posted) return null;
    let context: GatewayContext;
    try {
      context = await options.admit(request);
    } catch {
      return null;
    }
    const key = responseCacheKey(hashQuery(posted.query), posted.operationName, posted.variables, context.identity);
    const found = await options.cache.lookup(key, context.identity.tenantId);
    if (!found.hit) return null;
    options.onServed?.(posted.operationName ?? undefined, (performance.now() - started) / 1000);
    return { body: found.body ?? JSON.stringify(found.result), headers: { [cacheStatusHeader]: 'hit' } };
  };
}
