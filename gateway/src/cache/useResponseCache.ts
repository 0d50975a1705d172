// Hand-rolled: @apollo/server-plugin-response-cache expires entries by cache hints (TTL) only; this cache is invalidated by events and mutations.
import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext } from '../GatewayContext.ts';
import type { ResponseCache } from './createResponseCache.ts';
import { responseCacheKey } from './responseCacheKey.ts';

/** The response header that tells a cached answer (`hit`) from an executed one (`miss`). */
export const cacheStatusHeader = 'x-novacron-cache';

/**
 * Serves repeated queries from the response cache, keyed by document, operation name, variables,
 * tenant and roles, and keeps it honest: a result with errors is never stored, a result executed
 * while its tenant was invalidated is not stored, and a mutation invalidates its tenant before its
 * response is sent, so the mutating client's next query reads its own write.
 */
export function useResponseCache(cache: ResponseCache): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      let key: string | undefined;
      let tenantId: string | undefined;
      let generation = 0;
      let mutation = false;
      let hit = false;
      return {
        async responseForOperation(requestContext) {
          const { identity, subscriptionPayload } = requestContext.contextValue;
          if (subscriptionPayload || !identity) return null;
          tenantId = identity.tenantId;
          if (requestContext.operation.operation === 'mutation') {
            mutation = true;
            return null;
          }
          if (requestContext.operation.operation !== 'query' || !requestContext.queryHash) return null;
          // The operation name as posted (not as resolved from the document): what answerFromCache sees.
          key = responseCacheKey(requestContext.queryHash, requestContext.request.operationName, requestContext.request.variables, identity);
          const found = await cache.lookup(key, identity.tenantId);
          if (!found.hit) {
            generation = found.generation;
            return null;
          }
          hit = true;
          requestContext.response.http.headers.set(cacheStatusHeader, 'hit');
          return { http: requestContext.response.http, body: { kind: 'single', singleResult: found.result as { data: Record<string, unknown> } } };
        },
        async willSendResponse(requestContext) {
          if (mutation && tenantId) {
            await cache.invalidateTenant(tenantId);
            return;
          }
          if (!key || hit || !tenantId) return;
          requestContext.response.http.headers.set(cacheStatusHeader, 'miss');
          const { body } = requestContext.response;
          if (body.kind !== 'single' || body.singleResult.errors || !body.singleResult.data) return;
          // A subgraph's bound (placementOptions: its state lease) shortens the entry's life, or forbids it.
          await cache.store(key, tenantId, { data: body.singleResult.data }, generation, requestContext.contextValue.reuseMaxAgeMs);
        },
      };
    },
  };
}
