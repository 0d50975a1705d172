import { STATUS_CODES } from 'node:http';
import { Agent, request } from 'undici';

/** A subgraph fetch's request: a POST of a JSON string (what the data source sends). */
export interface SubgraphRequestInit {
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  signal?: AbortSignal;
}

/** The part of a fetch `Response` the gateway reads of a subgraph's answer (a `Response` is one). */
export interface SubgraphAnswer {
  status: number;
  statusText: string;
  url: string;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  json(): Promise<unknown>;
}

/**
 * How the gateway fetches from a subgraph: the data source's fetch, and what wraps it (deadline,
 * breaker, dedup, timing). `fetch` itself is one; {@link createSubgraphFetch} is the cheaper one it uses.
 */
export type SubgraphFetch = (url: string, init?: SubgraphRequestInit) => Promise<SubgraphAnswer>;

/** A {@link SubgraphFetch} with its connection pool, closed when the gateway stops. */
export interface PooledSubgraphFetch {
  fetch: SubgraphFetch;
  close(): Promise<void>;
}

/**
 * Subgraph fetches over undici's `request` (keep-alive pool per subgraph origin) instead of Node's
 * `fetch`: the WHATWG layer around the same client (Request/Response/Headers objects, web streams for
 * the body, a TextDecoder) was about a quarter of the gateway's CPU per accepted createVM
 * (docs/benchmarks.md, "Accept path"). The body is read before the answer is returned, so the caller's
 * deadline (its `signal`) covers it. Failures keep `fetch`'s shapes, which the data source maps to
 * coded errors: an abort rejects with the signal's reason (a `TimeoutError` for a deadline), anything
 * else with `TypeError('fetch failed')` carrying the cause.
 */
export function createSubgraphFetch(): PooledSubgraphFetch {
  const dispatcher = new Agent({ keepAliveTimeout: 4_000 });
  const fetchAnswer: SubgraphFetch = async (url, init) => {
    let text: string;
    let status: number;
    let headers: Record<string, string | string[] | undefined>;
    try {
      const response = await request(url, { method: init?.method ?? 'GET', headers: init?.headers, body: init?.body, signal: init?.signal, dispatcher });
      status = response.statusCode;
      headers = response.headers;
      text = await response.body.text();
    } catch (error) {
      if (init?.signal?.aborted) throw init.signal.reason;
      throw new TypeError('fetch failed', { cause: error });
    }
    return {
      status,
      statusText: STATUS_CODES[status] ?? '',
      url,
      headers: {
        get(name) {
          const value = headers[name.toLowerCase()];
          return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
        },
      },
      text: async () => text,
      json: async () => JSON.parse(text) as unknown,
    };
  };
  return { fetch: fetchAnswer, close: () => dispatcher.close() };
}
