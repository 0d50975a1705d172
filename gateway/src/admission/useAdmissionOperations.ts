import type { IncomingMessage } from 'node:http';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';

/** Options of {@link useAdmissionOperations}. */
export interface AdmissionOperationsOptions<TContext extends BaseContext> {
  /** The HTTP request a context was made for; undefined for executions of the gateway's own (subscription payloads). */
  requestOf(context: TContext): IncomingMessage | undefined;
  /** Hands the request's operation (its document's hash) to the admission (createRequestAdmission's noteOperation). */
  note(request: IncomingMessage, operation: string): void;
}

/**
 * Tells the admission which operation each admitted request runs, as soon as Apollo has its document:
 * the adaptive limit judges a request's latency above its own operation's floor (createLatencyLimit.ts).
 * The document's hash, not the operation name: two documents under one name can cost very differently.
 */
export function useAdmissionOperations<TContext extends BaseContext>(options: AdmissionOperationsOptions<TContext>): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart({ contextValue }) {
      const request = options.requestOf(contextValue);
      if (!request) return;
      return {
        async didResolveSource({ queryHash }) {
          options.note(request, queryHash);
        },
      };
    },
  };
}
