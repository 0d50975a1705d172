import { internalTokenHeader, type Identity, type SystemCaller } from '@novacron/auth';
import { AppError, isErrorCode } from '@novacron/errors';
import { createFeedFetcher, type FeedFetcher } from '@novacron/events';
import type { SubgraphSecurity } from './loadSubgraphSecurity.ts';

/** Calls other subgraphs directly, with an internal token addressed to each (its own audience). */
export interface SubgraphClient {
  /**
   * Runs a GraphQL operation on subgraph `name` as `caller` (a user's identity re-signed for the callee,
   * or NovaCron itself). Errors come back as AppErrors with the callee's code; an unreachable callee is
   * UNAVAILABLE.
   */
  request<T>(name: string, query: string, variables: Record<string, unknown>, caller: Identity | SystemCaller): Promise<T>;
  /** Reads subgraph `name`'s event feed with a system identity (`subject` names the reader). */
  feed(name: string, subject: string): FeedFetcher;
}

/** Builds the client from the platform's subgraph URLs and this subgraph's signing keys. */
export function createSubgraphClient(urls: Readonly<Record<string, string>>, security: SubgraphSecurity, timeoutMs = 10_000): SubgraphClient {
  const urlOf = (name: string) => {
    const url = urls[name];
    if (!url) throw new Error(`no URL for subgraph "${name}" (schema/subgraphs.json or ${name.toUpperCase()}_URL)`);
    return url;
  };
  return {
    async request<T>(name: string, query: string, variables: Record<string, unknown>, caller: Identity | SystemCaller): Promise<T> {
      let response: Response;
      try {
        response = await fetch(urlOf(name), {
          method: 'POST',
          headers: { 'content-type': 'application/json', [internalTokenHeader]: await security.signFor(name)(caller) },
          body: JSON.stringify({ query, variables }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        throw new AppError('UNAVAILABLE', `the ${name} subgraph cannot be reached`, { subgraph: name }, error);
      }
      const body = (await response.json().catch(() => ({}))) as { data?: T | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
      const [error] = body.errors ?? [];
      if (error) {
        const code = error.extensions?.code;
        const { code: _code, http: _http, stacktrace: _stack, ...details } = error.extensions ?? {};
        throw new AppError(isErrorCode(code) ? code : 'INTERNAL_SERVER_ERROR', error.message, details);
      }
      if (!body.data) throw new AppError('UNAVAILABLE', `the ${name} subgraph answered HTTP ${response.status} without data`, { subgraph: name });
      return body.data;
    },
    feed(name, subject) {
      return createFeedFetcher(name, urlOf(name), async () => ({ [internalTokenHeader]: await security.signFor(name)({ system: true, subject }) }), timeoutMs);
    },
  };
}
