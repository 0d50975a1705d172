import type { SqlExecutor } from './SqlExecutor.ts';
import { authorizeSystem, type PrincipalContext } from '../authorize.ts';
import type { CoalescedFeedReader } from './coalesceFeedReads.ts';
import type { FeedRequest, Outbox } from './createOutbox.ts';

/** Arguments of `_eventFeed`. */
export interface EventFeedArgs {
  stream: string;
  after?: string | null;
  first?: number | null;
  entityId?: string | null;
  tenantId?: string | null;
  withPayload?: boolean | null;
}

/** The read `_eventFeed`'s arguments ask for (a page of 500 unless told). */
export function feedRequestFromArgs(args: EventFeedArgs): FeedRequest {
  return {
    stream: args.stream,
    after: args.after ?? null,
    first: args.first ?? 500,
    entityId: args.entityId ?? null,
    tenantId: args.tenantId ?? null,
    withPayload: args.withPayload ?? false,
  };
}

/**
 * The `Query._eventFeed` resolver: NovaCron's own callers only (the gateway, stream followers). With
 * `reads`, identical concurrent reads share their statement (the kit's server passes its shared reads).
 */
export function eventFeedResolver(outbox: Outbox | null, db: SqlExecutor, reads?: CoalescedFeedReader) {
  return async (_parent: unknown, args: EventFeedArgs, context: PrincipalContext) => {
    authorizeSystem(context);
    if (!outbox) return { entries: [], endCursor: '' };
    const request = feedRequestFromArgs(args);
    return reads ? reads(request).page : outbox.readFeed(db, request);
  };
}
