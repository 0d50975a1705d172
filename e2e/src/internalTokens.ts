import { createInternalTokenSigner, internalTokenAudience, internalTokenHeader, type DevelopmentKeys, type Role } from '@novacron/auth';
import { postGraphQL, type RawGraphQLResponse } from './postGraphQL.ts';

/** Who an internal token speaks for: a user of a tenant, or the gateway itself. */
export type InternalCaller = { tenant: string; role: Role; subject?: string } | { system: true; subject: string };

/**
 * Mints the token the gateway would send a subgraph, with the platform's internal key: for tests that
 * play the gateway (or an attacker who got hold of a valid token) and call the subgraph directly.
 */
export async function internalTokenFor(keys: DevelopmentKeys, caller: InternalCaller, subgraph = 'vms'): Promise<string> {
  const sign = createInternalTokenSigner({ privateKeyPem: keys.internal.privateKeyPem, keyId: keys.internal.keyId, audience: internalTokenAudience(subgraph) });
  if ('system' in caller) return sign(caller);
  return sign({ subject: caller.subject ?? `${caller.role}@${caller.tenant}`, tenantId: caller.tenant, roles: [caller.role], expiresAt: new Date(Date.now() + 60_000) });
}

/** Posts straight to a subgraph, with `internalToken` in the internal-token header (none when null). */
export function postToSubgraph(subgraphUrl: string, payload: unknown, internalToken: string | null): Promise<RawGraphQLResponse> {
  return postGraphQL(subgraphUrl, payload, { headers: internalToken ? { [internalTokenHeader]: internalToken } : {} });
}

/** One entry of the vms subgraph's internal event feed. */
export interface EventFeedEntry {
  cursor: string;
  tenantId: string;
  entityId: string;
}

/**
 * Reads an entity's events from the vms subgraph's internal feed, as the gateway does: the only
 * place operation-stream cursors (what `operationAt` takes) can be had.
 */
export async function readEventFeed(platform: { keys: DevelopmentKeys; vms: { url: string } }, stream: 'vm' | 'operation', entityId: string): Promise<EventFeedEntry[]> {
  const token = await internalTokenFor(platform.keys, { system: true, subject: 'e2e/event-feed' });
  const response = await postToSubgraph(
    platform.vms.url,
    { query: 'query ($stream: String!, $entityId: ID) { _eventFeed(stream: $stream, entityId: $entityId) { entries { cursor tenantId entityId } } }', variables: { stream, entityId } },
    token,
  );
  const feed = response.body?.data?._eventFeed as { entries: EventFeedEntry[] } | undefined;
  if (!feed) throw new Error(`event feed answered ${response.status}: ${response.text.slice(0, 500)}`);
  return feed.entries;
}

/**
 * The head of a stream of the vms subgraph's feed: a cursor to subscribe `after`, so that a
 * subscription sees every event committed from now on however late it becomes live.
 */
export async function streamHead(platform: { keys: DevelopmentKeys; vms: { url: string } }, stream: 'vm' | 'operation'): Promise<string> {
  const token = await internalTokenFor(platform.keys, { system: true, subject: 'e2e/event-feed' });
  const response = await postToSubgraph(platform.vms.url, { query: 'query ($stream: String!) { _eventFeed(stream: $stream, first: 1) { endCursor } }', variables: { stream } }, token);
  const feed = response.body?.data?._eventFeed as { endCursor: string } | undefined;
  if (!feed) throw new Error(`event feed answered ${response.status}: ${response.text.slice(0, 500)}`);
  return feed.endCursor;
}
