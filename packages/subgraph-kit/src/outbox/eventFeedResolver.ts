import type { SqlExecutor } from './SqlExecutor.ts';
import { authorizeSystem, type PrincipalContext } from '../authorize.ts';
import type { Outbox } from './createOutbox.ts';

/** Arguments of `_eventFeed`. */
export interface EventFeedArgs {
  stream: string;
  after?: string | null;
  first?: number | null;
  entityId?: string | null;
  tenantId?: string | null;
  withPayload?: boolean | null;
}

/** The `Query._eventFeed` resolver: NovaCron's own callers only (the gateway, stream followers). */
export function eventFeedResolver(outbox: Outbox | null, db: SqlExecutor) {
  return async (_parent: unknown, args: EventFeedArgs, context: PrincipalContext) => {
    authorizeSystem(context);
    if (!outbox) return outbox ?? { entries: [], endCursor: '' };
    return outbox.readFeed(db, {
      stream: args.stream,
      after: args.after ?? null,
      first: args.first ?? 500,
      entityId: args.entityId ?? null,
      tenantId: args.tenantId ?? null,
      withPayload: args.withPayload ?? false,
    });
  };
}
