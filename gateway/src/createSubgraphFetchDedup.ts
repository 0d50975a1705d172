// Hand-rolled: coalescing identical in-flight fetches is a map of promises; no library fits a fetch wrapper this thin.
import { LRUCache } from 'lru-cache';
import { internalTokenHeader } from '@novacron/auth';
import type { SubgraphAnswer, SubgraphFetch } from './createSubgraphFetch.ts';

/** Counts of {@link createSubgraphFetchDedup}, for the gateway's `stats()`. */
export interface FetchDedupStats {
  /** Fetches sent to the subgraph. */
  sent: number;
  /** Fetches answered by joining an identical one already in flight. */
  joined: number;
}

interface InFlight {
  startedAt: number;
  answer: Promise<{ response: SubgraphAnswer; body: string }>;
}

/**
 * Who may share a fetch: callers of the same tenant with the same roles (read from the internal token
 * the gateway itself signed), as the response cache already shares answers. No subgraph read depends on
 * more of the caller than that (the subject is only written, to audit records, by mutations, which are
 * never shared). System tokens share only with themselves.
 */
function sharingScope(token: string, decoded: LRUCache<string, string>): string {
  const known = decoded.get(token);
  if (known !== undefined) return known;
  let scope = `token:${token}`;
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { tenant?: unknown; roles?: unknown; system?: unknown };
    if (claims.system !== true && typeof claims.tenant === 'string' && Array.isArray(claims.roles)) scope = `tenant:${JSON.stringify([claims.tenant, [...claims.roles].map(String).sort()])}`;
  } catch {
    // Not a token this gateway signed: it shares with nobody.
  }
  decoded.set(token, scope);
  return scope;
}

/** A sharer's own answer: the status and headers of the one fetch, and its body read once. */
function copyOf({ response, body }: { response: SubgraphAnswer; body: string }): SubgraphAnswer {
  return { status: response.status, statusText: response.statusText, url: response.url, headers: response.headers, text: async () => body, json: async () => JSON.parse(body) as unknown };
}

/**
 * Lets concurrent identical subgraph queries share one fetch: same URL, same body (query and
 * variables) and same tenant and roles ({@link sharingScope}). Each joiner gets its own copy of the
 * response. Mutations are never shared. A query never joins a fetch that started before the last
 * mutation of its tenant and roles finished, so a client reads its own writes.
 */
export function createSubgraphFetchDedup(): { wrap(fetcher: SubgraphFetch): SubgraphFetch; stats(): FetchDedupStats } {
  const inFlight = new Map<string, InFlight>();
  // When the latest mutation of each sharing scope (through any subgraph) finished.
  const lastMutationAt = new LRUCache<string, number>({ max: 10_000 });
  const scopes = new LRUCache<string, string>({ max: 10_000 });
  const stats: FetchDedupStats = { sent: 0, joined: 0 };
  const wrap = (fetcher: SubgraphFetch): SubgraphFetch => async (input, init) => {
    const body = typeof init?.body === 'string' ? init.body : undefined;
    const headers = (init?.headers ?? {}) as Record<string, string>;
    const caller = sharingScope(headers[internalTokenHeader] ?? '', scopes);
    if (body === undefined || !body.startsWith('{"query":"') || body.startsWith('{"query":"mutation')) {
      stats.sent += 1;
      try {
        return await fetcher(input, init);
      } finally {
        if (body?.startsWith('{"query":"mutation')) lastMutationAt.set(caller, performance.now());
      }
    }
    const key = `${String(input)}\n${caller}\n${body}`;
    const existing = inFlight.get(key);
    if (existing && existing.startedAt >= (lastMutationAt.get(caller) ?? -Infinity)) {
      stats.joined += 1;
      return copyOf(await existing.answer);
    }
    stats.sent += 1;
    const entry: InFlight = {
      startedAt: performance.now(),
      answer: fetcher(input, init).then(async (response) => ({ response, body: await response.text() })),
    };
    inFlight.set(key, entry);
    try {
      return copyOf(await entry.answer);
    } finally {
      if (inFlight.get(key) === entry) inFlight.delete(key);
    }
  };
  return { wrap, stats: () => ({ ...stats }) };
}
