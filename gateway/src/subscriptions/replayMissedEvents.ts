import { AppError, appError } from '@novacron/errors';
import type { FeedEntry, FeedFetcher } from '@novacron/events';
import { replayPlanOf, type StreamDeclaration } from './readStreamDeclarations.ts';

const replayPageSize = 1_000;

/** The RESYNC_REQUIRED answer to a subscriber that missed more than the engine holds for it. */
export function tooFarBehind(limit: number): AppError {
  return new AppError('RESYNC_REQUIRED', `more than ${limit} events were missed: reload the current state, then subscribe without after`, { field: 'after', limit });
}

/**
 * What a subscriber must see before live events: its tenant's events after its cursor, or its entity's
 * latest event. The feed filters by tenant at the source, so nobody else's events are read; it is read
 * page by page, and a subscriber more than `limit` events behind is told RESYNC_REQUIRED instead of
 * having them all read into memory. An entity's replay keeps only its latest event.
 */
export async function replayMissedEvents(feed: FeedFetcher, declaration: StreamDeclaration, args: Record<string, unknown>, tenantId: string, limit: number): Promise<FeedEntry[]> {
  const plan = replayPlanOf(declaration, args);
  if (!plan) return [];
  const entityId = 'entityId' in plan ? plan.entityId : null;
  let after: string | null = 'after' in plan ? plan.after : null;
  const entries: FeedEntry[] = [];
  let latest: FeedEntry | undefined;
  for (;;) {
    const page = await feed({ stream: declaration.stream, after, first: Math.min(replayPageSize, limit + 1), entityId, tenantId });
    if (entityId) latest = page.entries.at(-1) ?? latest;
    else {
      if (entries.length + page.entries.length > limit) throw tooFarBehind(limit);
      entries.push(...page.entries);
    }
    after = page.endCursor;
    if (page.entries.length < Math.min(replayPageSize, limit + 1)) break;
  }
  if (!entityId) return entries;
  // A foreign or unknown entity is NOT_FOUND alike: a tenant cannot learn that another's id exists.
  if (!latest) throw appError('NOT_FOUND', `${declaration.field}: ${entityId} was not found`, { id: entityId });
  return [latest];
}
