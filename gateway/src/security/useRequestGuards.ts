import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext } from '../GatewayContext.ts';
import type { OperationGuard } from './createOperationGuard.ts';

/**
 * An Apollo plugin that runs the operation guard once a request is parsed and validated, before any
 * resolver; except on a subscription's derived payload query, whose subscription was guarded.
 */
export function useRequestGuards(guard: OperationGuard): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request, contextValue }) {
          if (contextValue.subscriptionPayload) return;
          const error = guard(document, request.variables ?? {}, request.operationName);
          if (error) throw error;
        },
      };
    },
  };
}
