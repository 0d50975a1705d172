import { appError } from '@novacron/errors';
import type { FeedEntry, FeedFetcher } from '@novacron/events';
import { replayPlanOf, type StreamDeclaration } from './readStreamDeclarations.ts';

const replayPageSize = 1_000;

/**
 * What a subscriber must see before live events: its tenant's events after its cursor, or its entity's
 * latest event. The feed filters by tenant at the source, so nobody else's events are read.
 */
export async function replayMissedEvents(feed: FeedFetcher, declaration: StreamDeclaration, args: Record<string, unknown>, tenantId: string): Promise<FeedEntry[]> {
  const plan = replayPlanOf(declaration, args);
  if (!plan) return [];
  const entityId = 'entityId' in plan ? plan.entityId : null;
  let after: string | null = 'after' in plan ? plan.after : null;
  const entries: FeedEntry[] = [];
  for (;;) {
    const page = await feed({ stream: declaration.stream, after, first: replayPageSize, entityId, tenantId });
    entries.push(...page.entries);
    after = page.endCursor;
    if (page.entries.length < replayPageSize) break;
  }
  if (!entityId) return entries;
  const latest = entries.at(-1);
  // A foreign or unknown entity is NOT_FOUND alike: a tenant cannot learn that another's id exists.
  if (!latest) throw appError('NOT_FOUND', `${declaration.field}: ${entityId} was not found`, { id: entityId });
  return [latest];
}
