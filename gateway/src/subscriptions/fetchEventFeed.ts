import { decodeEventCursor, type EventFeedEntry, type EventPosition } from '@novacron/events';

/** One entry of a subgraph's internal event feed, with its cursor decoded once for ordering. */
export interface FeedEntry extends EventFeedEntry {
  position: EventPosition;
}

/** A page of a feed. */
export interface FeedPage {
  entries: FeedEntry[];
  endCursor: string;
}

/**
 * Reads one page of an event feed: entries after `after` (or the head, without it); with
 * `entityId`, only that entity's entries, from its first one when `after` is null.
 */
export type FeedFetcher = (stream: string, after: string | null, first: number, entityId?: string) => Promise<FeedPage>;

/** Thrown when the feed refuses a cursor; `code` is the subgraph's (`RESYNC_REQUIRED`, `BAD_USER_INPUT`). */
export class FeedError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'FeedError';
    this.code = code;
  }
}

const feedQuery = `query NovaCronEventFeed($stream: String!, $after: String, $first: Int, $entityId: ID) {
  _eventFeed(stream: $stream, after: $after, first: $first, entityId: $entityId) {
    endCursor
    entries { cursor tenantId entityId vmId version type provider region labels terminal }
  }
}`;

/**
 * Reads a subgraph's event feed over HTTP. The feed is internal (`@inaccessible`): it is not part
 * of the public API, so the gateway calls the owning subgraph directly rather than through its planner.
 */
export function createFeedFetcher(subgraph: string, subgraphUrl: string, headers: () => Promise<Record<string, string>> = async () => ({})): FeedFetcher {
  return async (stream, after, first, entityId) => {
    const response = await fetch(subgraphUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await headers()) },
      body: JSON.stringify({ query: feedQuery, variables: { stream, after, first, entityId: entityId ?? null } }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json()) as { data?: { _eventFeed: FeedPage } | null; errors?: { message: string; extensions?: { code?: string } }[] };
    const [error] = body.errors ?? [];
    if (error) throw new FeedError(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR', error.message);
    if (!body.data) throw new FeedError('INTERNAL_SERVER_ERROR', `event feed answered HTTP ${response.status} without data`);
    const page = body.data._eventFeed as Omit<FeedPage, 'entries'> & { entries: EventFeedEntry[] };
    const name = `${subgraph}.${stream}`;
    return { endCursor: page.endCursor, entries: page.entries.map((entry) => ({ ...entry, position: decodeEventCursor(entry.cursor, name, 'cursor') })) };
  };
}
