import { buildSchema } from 'graphql';
import { createLogger } from '@novacron/server-kit';
import { createStreamTail } from '../../src/subscriptions/createStreamTail.ts';
import { compareEventPositions, decodeEventCursor, encodeEventCursor, type FeedEntry, type FeedFetcher } from '@novacron/events';
import type { StreamDeclaration, SubscriberScope } from '../../src/subscriptions/readStreamDeclarations.ts';

/** The API of the fixture's stream: `items` subscriptions, each event resolved by `itemAt`. */
export const itemsSchema = buildSchema(`
  type Item { id: ID! cursor: String! }
  type Query { itemAt(cursor: String!, after: String): Item }
  type Subscription { items(after: String): Item! }
`);

/** `items` streams the `things` subgraph's `item` stream (the fixture's `things.item`). */
export const itemsDeclarations = new Map<string, StreamDeclaration>([
  ['items', { field: 'items', subgraph: 'things', stream: 'item', payloadField: 'itemAt', cursorArg: 'after', entityArg: null, routeBy: null, completeOnTerminal: false }],
]);

/** A viewer of tenant `alpha` whose token lasts an hour. */
export const viewerScope: SubscriberScope = {
  tenantId: 'alpha',
  scopeKey: 'alpha|viewer',
  identity: { subject: 'viewer@alpha', tenantId: 'alpha', roles: ['viewer'], expiresAt: new Date(Date.now() + 3_600_000) },
};

/**
 * An in-memory event feed with the `_eventFeed` contract's semantics (entries after a cursor, the head
 * without one, entity and tenant filters), for unit tests of the gateway's readers. The real feed over
 * PostgreSQL is tested in the kit and end to end.
 */
export function createFeedFixture(stream: string) {
  const entries: FeedEntry[] = [];
  let seq = 0;
  let failing: Error | null = null;
  const reads: { after: string | null; first: number }[] = [];
  const fetch: FeedFetcher = async (read) => {
    reads.push({ after: read.after, first: read.first });
    if (failing) throw failing;
    let matching = entries.filter((entry) => (!read.entityId || entry.entityId === read.entityId) && (!read.tenantId || entry.tenantId === read.tenantId));
    if (!read.after && !read.entityId) {
      const head = entries.at(-1);
      return { entries: [], endCursor: head?.cursor ?? encodeEventCursor({ stream, txid: '0', seq: 0 }) };
    }
    if (read.after) {
      const after = decodeEventCursor(read.after, stream);
      matching = matching.filter((entry) => compareEventPositions(entry.position, after) > 0);
    }
    const page = matching.slice(0, read.first);
    return { entries: page, endCursor: page.at(-1)?.cursor ?? read.after ?? encodeEventCursor({ stream, txid: '0', seq: 0 }) };
  };
  return {
    fetch,
    reads,
    fail: (error: Error | null) => {
      failing = error;
    },
    append(entry: { tenantId: string; entityId: string; keys?: string[]; type?: string; terminal?: boolean }): FeedEntry {
      seq += 1;
      const position = { stream, txid: String(100 + seq), seq };
      const full: FeedEntry = {
        cursor: encodeEventCursor(position),
        position,
        tenantId: entry.tenantId,
        entityId: entry.entityId,
        keys: entry.keys ?? [entry.entityId],
        version: seq,
        type: entry.type ?? 'CHANGED',
        terminal: entry.terminal ?? false,
        occurredAt: new Date(0).toISOString(),
        payload: null,
      };
      entries.push(full);
      return full;
    },
  };
}

/**
 * The parts of a subscription engine over a fixture feed of stream `things.item`: a real stream tail
 * reading it (polling only when woken) and the feed for replays (`replayFeed` may wrap it).
 */
export function fixtureEngineParts(feed: ReturnType<typeof createFeedFixture>, replayFeed: FeedFetcher = feed.fetch) {
  const logger = createLogger('test', 'silent');
  const tail = createStreamTail({ stream: 'item', name: 'things.item', fetchFeed: feed.fetch, pollIntervalMs: 60_000, logger });
  return { tail, tails: new Map([['things.item', tail]]), feeds: new Map([['things', replayFeed]]), logger };
}
