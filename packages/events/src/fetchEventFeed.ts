import { request } from 'undici';
import { decodeEventCursor, type EventPosition } from './eventCursor.ts';
import type { EventFeedEntry } from './EventFeedEntry.ts';

/** One entry of a feed, with its cursor decoded once for ordering. */
export interface FeedEntry extends EventFeedEntry {
  position: EventPosition;
}

/** A page of a feed. */
export interface FeedPage {
  entries: FeedEntry[];
  endCursor: string;
  /** Committed events after `endCursor` wait behind an older transaction still in flight: read again soon. */
  heldBack?: boolean;
}

/**
 * How long to wait before reading a feed again while its page said `heldBack`: 25 ms after the first
 * such page, doubling while the older transaction lasts, never above `maxMs` nor above 1 s. The events
 * are committed and their signal spent: with a long poll interval an unbounded doubling left them
 * unread for twice as long as the transaction that held them back (any write transaction in the
 * cluster holds the commit horizon). `previousMs` is the last wait (0 after a page that held nothing back).
 */
export function heldBackRetryDelay(previousMs: number, maxMs: number): number {
  return Math.min(Math.max(previousMs * 2, 25), maxMs, 1_000);
}

/** What to read: entries after `after` (the head without it); with `entityId` that entity's, from its first. */
export interface FeedRead {
  stream: string;
  after: string | null;
  first: number;
  entityId?: string | null;
  tenantId?: string | null;
  withPayload?: boolean;
}

/** Reads one page of a subgraph's event feed. */
export type FeedFetcher = (read: FeedRead) => Promise<FeedPage>;

/** Thrown when the feed refuses a read; `code` is the subgraph's (`RESYNC_REQUIRED`, `BAD_USER_INPUT`, …). */
export class FeedError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'FeedError';
    this.code = code;
  }
}

/**
 * The one document feed readers post. The owning subgraph recognises this exact text and answers it
 * without graphql-js execution (the kit's `answerEventFeed`); any other document goes through Apollo.
 */
export const eventFeedQuery = `query NovaCronEventFeed($stream: String!, $after: String, $first: Int, $entityId: ID, $tenantId: String, $withPayload: Boolean) {
  _eventFeed(stream: $stream, after: $after, first: $first, entityId: $entityId, tenantId: $tenantId, withPayload: $withPayload) {
    endCursor
    heldBack
    entries { cursor tenantId entityId keys version type terminal occurredAt payload }
  }
}`;

/**
 * Reads a subgraph's event feed over HTTP, as the gateway and stream followers do. The feed is internal
 * (`@inaccessible`): callers reach the owning subgraph directly with an internal token (`headers`).
 */
export function createFeedFetcher(subgraph: string, subgraphUrl: string, headers: () => Promise<Record<string, string>>, timeoutMs = 10_000): FeedFetcher {
  return async (read) => {
    // A timer cleared when the read settles, not `AbortSignal.timeout`: that one keeps its signal and
    // timer alive for the whole timeout after every read (a feed is read many times a second).
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DOMException(`${subgraph}'s event feed did not answer within ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
    let statusCode: number;
    let body: { data?: { _eventFeed: FeedPage } | null; errors?: { message: string; extensions?: { code?: string } }[] };
    try {
      // undici's `request`, not `fetch`: a feed is read up to 20 times a second by every follower, and
      // fetch's WHATWG streams and Response made each read cost a follower ≈ 3 ms of CPU, a third of it
      // garbage collection (docs/benchmarks.md, "Feed reads").
      const response = await request(subgraphUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(await headers()) },
        body: JSON.stringify({
          query: eventFeedQuery,
          variables: { stream: read.stream, after: read.after, first: read.first, entityId: read.entityId ?? null, tenantId: read.tenantId ?? null, withPayload: read.withPayload ?? false },
        }),
        signal: controller.signal,
      });
      statusCode = response.statusCode;
      body = (await response.body.json().catch(() => ({}))) as typeof body;
    } finally {
      clearTimeout(timer);
    }
    const [error] = body.errors ?? [];
    if (error) throw new FeedError(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR', error.message);
    if (!body.data) throw new FeedError('UNAVAILABLE', `${subgraph}'s event feed answered HTTP ${statusCode} without data`);
    const page = body.data._eventFeed as Omit<FeedPage, 'entries'> & { entries: EventFeedEntry[] };
    const name = `${subgraph}.${read.stream}`;
    return { endCursor: page.endCursor, heldBack: page.heldBack ?? false, entries: page.entries.map((entry) => ({ ...entry, position: decodeEventCursor(entry.cursor, name, 'cursor') })) };
  };
}
