import type { ApolloServerPlugin } from '@apollo/server';
import type { OperationGuard } from './createOperationGuard.ts';

/** An Apollo plugin that runs the operation guard once a request is parsed and validated, before any resolver. */
export function useRequestGuards(guard: OperationGuard): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request }) {
          const error = guard(document, request.variables ?? {}, request.operationName);
          if (error) throw error;
        },
      };
    },
  };
}
