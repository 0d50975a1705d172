import { RemoteGraphQLDataSource } from '@apollo/gateway';
import { internalTokenHeader, type InternalTokenSigner } from '@novacron/auth';
import { AppError } from '@novacron/errors';
import { responseMaxAgeHeader } from '@novacron/server-kit';
import { createDeadlinedFetch } from './createDeadlinedFetch.ts';
import { CircuitOpenError, type SubgraphBreaker } from './createSubgraphBreaker.ts';
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
  /** The subgraph's circuit breaker: while open, its fetches fail at once with reason CIRCUIT_OPEN. */
  breaker?: SubgraphBreaker;
  /** Shares one fetch among concurrent identical queries of the same caller (outermost wrapper). */
  dedupe?: (fetcher: typeof fetch) => typeof fetch;
}

/**
 * A subgraph as the query planner fetches it: Node's fetch with keep-alive, the caller's identity in
 * a short-lived internal token, and a deadline. A subgraph that hangs or cannot be reached fails the
 * fields it owns with UNAVAILABLE (`extensions.service`, `extensions.reason`) instead of holding the
 * client's request for minutes or answering a masked INTERNAL_SERVER_ERROR. Behind a breaker, a
 * subgraph that keeps failing is not fetched at all until it recovers (`reason: CIRCUIT_OPEN`).
 */
export function createSubgraphDataSource(options: SubgraphDataSourceOptions): RemoteGraphQLDataSource<GatewayContext> {
  const seconds = Math.round(options.timeoutMs / 100) / 10;
  const base = options.fetcher ?? fetch;
  const deadlined = createDeadlinedFetch(base, options.timeoutMs);
  const guarded = options.breaker ? options.breaker.wrap(deadlined) : deadlined;
  const fetcher = options.dedupe ? options.dedupe(guarded) : guarded;
  return new RemoteGraphQLDataSource<GatewayContext>({
    url: options.url,
    fetcher: fetcher as never,
    willSendRequest: async ({ request, context }) => {
      request.http?.headers.set(internalTokenHeader, await options.signInternalToken(context.identity));
      options.injectHeaders?.((header, value) => request.http?.headers.set(header, value));
    },
    // A subgraph's reuse bound for its answer (placementOptions: its state lease); the request keeps the shortest.
    didReceiveResponse: async ({ response, context }) => {
      const bound = response.http?.headers.get(responseMaxAgeHeader);
      if (bound !== null && bound !== undefined) {
        const ms = Number(bound);
        context.reuseMaxAgeMs = Math.min(context.reuseMaxAgeMs ?? Infinity, Number.isFinite(ms) ? ms : 0);
      }
      return response;
    },
    didEncounterError: (error: Error) => {
      if (error instanceof AppError) throw error;
      if (error instanceof CircuitOpenError) {
        const retryAfterSeconds = Math.max(1, Math.ceil(error.retryAfterMs / 1000));
        throw new AppError('UNAVAILABLE', `the ${options.name} service is unavailable (it kept failing; retried in ${retryAfterSeconds} s)`, { service: options.name, reason: 'CIRCUIT_OPEN', retryAfterSeconds }, error);
      }
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
