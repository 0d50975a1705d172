import type { ApolloServerPlugin } from '@apollo/server';
import { requestError } from '@novacron/errors';
import type { GatewayContext } from '../GatewayContext.ts';
import type { OperationGuard } from './createOperationGuard.ts';

/**
 * An Apollo plugin that runs the operation guard once a request is parsed and validated, before any
 * resolver; except on a subscription's derived payload query, whose subscription was guarded. An
 * operation name the document lacks is BAD_USER_INPUT. Subscriptions are answered with a coded
 * client error saying where they are served: @apollo/gateway cannot execute them, and used to
 * answer a masked 500.
 */
export function useRequestGuards(guard: OperationGuard): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request, operation, contextValue }) {
          if (contextValue.subscriptionPayload) return;
          // @apollo/gateway throws an uncoded error (a 500) for an operation name the document lacks.
          if (!operation) {
            const message = request.operationName ? `Unknown operation named "${request.operationName}"` : 'Must provide an operation name when the document contains several operations';
            throw requestError('BAD_USER_INPUT', message, { field: 'operationName' });
          }
          if (operation.operation === 'subscription') {
            throw requestError('BAD_REQUEST', 'subscriptions are served over WebSocket (graphql-ws, subprotocol graphql-transport-ws) or as an event stream (graphql-sse: POST with Accept: text/event-stream) on this same URL, not as a plain POST', {
              transport: 'graphql-transport-ws',
              transports: ['graphql-transport-ws', 'graphql-sse'],
            });
          }
          const error = guard(document, request.variables ?? {}, request.operationName);
          if (error) throw error;
        },
      };
    },
  };
}
