import type { InternalPrincipal } from '@novacron/auth';
import { eventFeedQuery } from '@novacron/events';
import type { PostedRequest } from '@novacron/server-kit';
import type { CoalescedFeedReader, FeedPageResult } from './coalesceFeedReads.ts';
import type { FeedRequest } from './createOutbox.ts';
import { feedRequestFromArgs } from './eventFeedResolver.ts';

/** Answers a posted feed read with the response body, or null to let Apollo Server answer it. */
export type EventFeedAnswer = (principal: InternalPrincipal, posted: PostedRequest) => Promise<string | null>;

const variableNames = new Set(['stream', 'after', 'first', 'entityId', 'tenantId', 'withPayload']);
const maxInt = 2 ** 31 - 1;
const serialized = 'body';

/**
 * Serves `_eventFeed` without graphql-js: the exact document feed readers post ({@link eventFeedQuery}),
 * read through the shared reads and serialized once per read as Apollo Server would (same fields, same
 * order, `\n` after the body). Full execution of a 500-entry page (nine fields each, resolved one by one)
 * was most of a subgraph's CPU for serving its feeds. Strict on purpose: anything else — another
 * document or operation name, variables graphql-js would coerce or refuse, a caller that is not
 * NovaCron itself (`authorizeSystem`'s rule), a read that fails (RESYNC_REQUIRED, BAD_USER_INPUT, an
 * unreachable database), a value graphql-js would not serialize as is — answers null, and Apollo
 * answers it with its own errors, codes and HTTP status. A failed read is thus read again by Apollo:
 * rare, and it keeps one source for every error's shape.
 */
export function answerEventFeed(read: CoalescedFeedReader): EventFeedAnswer {
  return async (principal, posted) => {
    if (principal.kind !== 'system' || posted.query !== eventFeedQuery) return null;
    if (posted.operationName !== undefined && posted.operationName !== null && posted.operationName !== 'NovaCronEventFeed') return null;
    const request = feedRequestOf(posted.variables);
    if (!request) return null;
    const shared = read(request);
    let page: FeedPageResult;
    try {
      page = await shared.page;
    } catch {
      return null;
    }
    let body = shared.derived.get(serialized) as string | null | undefined;
    if (body === undefined) {
      body = serializeFeedPage(page);
      shared.derived.set(serialized, body);
    }
    return body;
  };
}

/** The read a feed document's variables ask for, as `eventFeedResolver` takes them; null unless every value is plainly valid. */
function feedRequestOf(variables: PostedRequest['variables']): FeedRequest | null {
  if (!variables) return null;
  for (const name of Object.keys(variables)) if (!variableNames.has(name)) return null;
  const { stream, after, first, entityId, tenantId, withPayload } = variables;
  if (!isText(stream) || !isOptionalText(after) || !isOptionalText(entityId) || !isOptionalText(tenantId)) return null;
  if (first !== undefined && first !== null && !(Number.isInteger(first) && Math.abs(first as number) <= maxInt)) return null;
  if (withPayload !== undefined && withPayload !== null && typeof withPayload !== 'boolean') return null;
  return feedRequestFromArgs({ stream, after, first: first as number | null | undefined, entityId, tenantId, withPayload: withPayload as boolean | null | undefined });
}

/** A string PostgreSQL can take (the input inspection refuses NUL characters: Apollo answers those). */
function isText(value: unknown): value is string {
  return typeof value === 'string' && !value.includes('\u0000');
}

function isOptionalText(value: unknown): value is string | null | undefined {
  return value === undefined || value === null || isText(value);
}

/**
 * The body Apollo Server sends for this page: `{"data":{"_eventFeed":{…}}}` and a newline, fields in
 * the document's order. Null when a value is not what the schema's types serialize unchanged.
 */
export function serializeFeedPage(page: FeedPageResult): string | null {
  if (typeof page.endCursor !== 'string') return null;
  const entries = [];
  for (const entry of page.entries) {
    const { cursor, tenantId, entityId, keys, version, type, terminal, occurredAt, payload } = entry;
    if (typeof cursor !== 'string' || typeof tenantId !== 'string' || typeof entityId !== 'string' || typeof type !== 'string' || typeof occurredAt !== 'string') return null;
    if (!Number.isInteger(version) || Math.abs(version) > maxInt || typeof terminal !== 'boolean' || !Array.isArray(keys) || !keys.every((key) => typeof key === 'string')) return null;
    entries.push({ cursor, tenantId, entityId, keys, version, type, terminal, occurredAt, payload: payload ?? null });
  }
  return `${JSON.stringify({ data: { _eventFeed: { endCursor: page.endCursor, heldBack: page.heldBack ?? null, entries } } })}\n`;
}
