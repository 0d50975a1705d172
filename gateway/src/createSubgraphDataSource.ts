import type { GraphQLDataSource } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { internalTokenHeader, type InternalTokenSigner } from '@novacron/auth';
import { AppError } from '@novacron/errors';
import { responseMaxAgeHeader } from '@novacron/server-kit';
import { createDeadlinedFetch } from './createDeadlinedFetch.ts';
import { CircuitOpenError, type SubgraphBreaker } from './createSubgraphBreaker.ts';
import type { SubgraphAnswer, SubgraphFetch } from './createSubgraphFetch.ts';
import type { GatewayContext } from './GatewayContext.ts';

/** Options for {@link createSubgraphDataSource}. */
export interface SubgraphDataSourceOptions {
  name: string;
  url: string;
  /** How long one fetch (headers and body) may take; undici's own limit is 300 s. */
  timeoutMs: number;
  signInternalToken: InternalTokenSigner;
  /** The fetch to use (the gateway's timed subgraph fetch for metrics); Node's by default. */
  fetcher?: SubgraphFetch;
  /** Adds headers to every subgraph request (trace context). */
  injectHeaders?: (set: (header: string, value: string) => void) => void;
  /** The subgraph's circuit breaker: while open, its fetches fail at once with reason CIRCUIT_OPEN. */
  breaker?: SubgraphBreaker;
  /** Shares one fetch among concurrent identical queries of the same caller (outermost wrapper). */
  dedupe?: (fetcher: SubgraphFetch) => SubgraphFetch;
}

/** What a subgraph answered: a GraphQL response. */
type SubgraphResponse = Awaited<ReturnType<GraphQLDataSource['process']>>;

/**
 * A subgraph as the query planner fetches it: a keep-alive POST (createSubgraphFetch.ts), the caller's identity in
 * a short-lived internal token, and a deadline. A subgraph that hangs or cannot be reached fails the
 * fields it owns with UNAVAILABLE (`extensions.service`, `extensions.reason`) instead of holding the
 * client's request for minutes or answering a masked INTERNAL_SERVER_ERROR. Behind a breaker, a
 * subgraph that keeps failing is not fetched at all until it recovers (`reason: CIRCUIT_OPEN`).
 *
 * Hand-rolled rather than `RemoteGraphQLDataSource`: per fetch, that class copies the headers into a
 * node-fetch `Headers`, then into a plain object, and builds a node-fetch `Request` (a `url.parse`) that
 * is never sent, only handed to its error hooks: about 8 % of the gateway's CPU per accepted createVM
 * (docs/benchmarks.md, "Accept path"). This sends the same POST (`{ query, variables, operationName }`,
 * the same headers) and answers errors as that class does (`<status>: <text>`, 401/403 coded).
 */
export function createSubgraphDataSource(options: SubgraphDataSourceOptions): GraphQLDataSource<GatewayContext> {
  const seconds = Math.round(options.timeoutMs / 100) / 10;
  const base: SubgraphFetch = options.fetcher ?? fetch;
  const deadlined = createDeadlinedFetch(base, options.timeoutMs);
  const guarded = options.breaker ? options.breaker.wrap(deadlined) : deadlined;
  const fetcher = options.dedupe ? options.dedupe(guarded) : guarded;
  const failure = (error: unknown): never => {
    if (error instanceof AppError || error instanceof GraphQLError) throw error;
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
  };
  return {
    async process({ request, context }): Promise<SubgraphResponse> {
      if (!request.query) throw new Error('Missing query');
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      // Headers the executor set (federated tracing) go along, as RemoteGraphQLDataSource sends them.
      if (request.http?.headers) for (const [name, value] of request.http.headers) headers[name.toLowerCase()] = value;
      headers[internalTokenHeader] = await options.signInternalToken((context as GatewayContext).identity);
      options.injectHeaders?.((header, value) => {
        headers[header.toLowerCase()] = value;
      });
      // The query first: the fetch dedup recognises queries and mutations by the body's start.
      const body = JSON.stringify({ query: request.query, variables: request.variables, operationName: request.operationName, extensions: request.extensions });
      let response: SubgraphAnswer;
      let answer: unknown;
      try {
        response = await fetcher(options.url, { method: 'POST', headers, body });
        answer = isJson(response) ? await response.json() : await response.text();
      } catch (error) {
        return failure(error);
      }
      if (response.status < 200 || response.status > 299) failure(errorFromResponse(response, answer));
      if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) throw new Error(`Expected JSON response body, but received: ${String(answer)}`);
      // A subgraph's reuse bound for its answer (placementOptions: its state lease); the request keeps the shortest.
      const bound = response.headers.get(responseMaxAgeHeader);
      if (bound !== null) {
        const ms = Number(bound);
        const gatewayContext = context as GatewayContext;
        gatewayContext.reuseMaxAgeMs = Math.min(gatewayContext.reuseMaxAgeMs ?? Infinity, Number.isFinite(ms) ? ms : 0);
      }
      return answer as SubgraphResponse;
    },
  };
}

function isJson(response: SubgraphAnswer): boolean {
  const type = response.headers.get('content-type');
  return type !== null && (type.startsWith('application/json') || type.startsWith('application/graphql-response+json'));
}

/** A non-2xx answer, as RemoteGraphQLDataSource words it. */
function errorFromResponse(response: SubgraphAnswer, body: unknown): GraphQLError {
  const code = response.status === 401 ? 'UNAUTHENTICATED' : response.status === 403 ? 'FORBIDDEN' : undefined;
  return new GraphQLError(`${response.status}: ${response.statusText}`, {
    extensions: { response: { url: response.url, status: response.status, statusText: response.statusText, body }, ...(code ? { code } : {}) },
  });
}

function isTimeout(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'TimeoutError') return true;
  // A body read cut short by the deadline surfaces as the cause of another error.
  return error.cause instanceof Error && error.cause.name === 'TimeoutError';
}
