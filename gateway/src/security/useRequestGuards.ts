import type { ApolloServerPlugin } from '@apollo/server';
import { AppError } from '@novacron/errors';
import type { OperationGuard } from './createOperationGuard.ts';

/**
 * An Apollo plugin that runs the operation guard once a request is parsed and validated, before any
 * resolver. Subscriptions are answered with a coded client error saying where they are served:
 * @apollo/gateway cannot execute them, and used to answer a masked 500.
 */
export function useRequestGuards(guard: OperationGuard): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request, operation }) {
          if (operation?.operation === 'subscription') {
            throw new AppError('BAD_REQUEST', 'subscriptions are served over WebSocket (graphql-ws, subprotocol graphql-transport-ws) on this same URL, not over HTTP POST', {
              transport: 'graphql-transport-ws',
              http: { status: 400 },
            });
          }
          const error = guard(document, request.variables ?? {}, request.operationName);
          if (error) throw error;
        },
      };
    },
  };
}
