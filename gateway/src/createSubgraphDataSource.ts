import { RemoteGraphQLDataSource } from '@apollo/gateway';
import { internalTokenHeader, type InternalTokenSigner } from '@novacron/auth';
import { AppError } from '@novacron/errors';
import type { GatewayContext } from './GatewayContext.ts';

/** Options for {@link createSubgraphDataSource}. */
export interface SubgraphDataSourceOptions {
  name: string;
  url: string;
  /** How long one fetch (headers and body) may take; undici's own limit is 300 s. */
  timeoutMs: number;
  signInternalToken: InternalTokenSigner;
  /** The fetch to use (the gateway's timed fetch for metrics); Node's by default. */
  fetcher?: typeof fetch;
  /** Adds headers to every subgraph request (trace context). */
  injectHeaders?: (set: (header: string, value: string) => void) => void;
}

/**
 * A subgraph as the query planner fetches it: Node's fetch with keep-alive, the caller's identity in
 * a short-lived internal token, and a deadline. A subgraph that hangs or cannot be reached fails the
 * fields it owns with UNAVAILABLE (`extensions.service`, `extensions.reason`) instead of holding the
 * client's request for minutes or answering a masked INTERNAL_SERVER_ERROR.
 */
export function createSubgraphDataSource(options: SubgraphDataSourceOptions): RemoteGraphQLDataSource<GatewayContext> {
  const seconds = Math.round(options.timeoutMs / 100) / 10;
  return new RemoteGraphQLDataSource<GatewayContext>({
    url: options.url,
    fetcher: ((input: string, init: RequestInit) => (options.fetcher ?? fetch)(input, { ...init, signal: AbortSignal.timeout(options.timeoutMs) })) as never,
    willSendRequest: async ({ request, context }) => {
      request.http?.headers.set(internalTokenHeader, await options.signInternalToken(context.identity));
      options.injectHeaders?.((header, value) => request.http?.headers.set(header, value));
    },
    didEncounterError: (error: Error) => {
      if (error instanceof AppError) throw error;
      if (isTimeout(error)) {
        throw new AppError('UNAVAILABLE', `the ${options.name} service did not answer within ${seconds} s`, { service: options.name, reason: 'SUBGRAPH_TIMEOUT' }, error);
      }
      if (error instanceof TypeError && error.message === 'fetch failed') {
        throw new AppError('UNAVAILABLE', `the ${options.name} service cannot be reached`, { service: options.name, reason: 'SUBGRAPH_UNREACHABLE' }, error);
      }
      throw error;
    },
  });
}

function isTimeout(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'TimeoutError') return true;
  // A body read cut short by the deadline surfaces as the cause of another error.
  return error.cause instanceof Error && error.cause.name === 'TimeoutError';
}
