import { eq, sql } from 'drizzle-orm';
import type { Executor } from '../db/createDatabase.ts';
import { quotas } from '../db/schema.ts';
import { capacityInUse } from './capacityStore.ts';
import { capacityKey, offeringKey, type PlacementState } from './PlacementPolicy.ts';
import { readPlacementPolicy } from './policyStore.ts';

/** How long history counts. */
export interface HistoryWindows {
  /** An offering with a capacity failure this recent (and no success since) is not placed on. */
  capacityBlockSeconds: number;
  /** Create outcomes this recent feed the reliability term. */
  outcomeWindowSeconds: number;
}

/** Recent create outcomes per offering, and which offerings are blocked now. */
export async function recentOutcomes(db: Executor, windows: HistoryWindows): Promise<Pick<PlacementState, 'blocked' | 'outcomes'>> {
  const window = Math.max(windows.capacityBlockSeconds, windows.outcomeWindowSeconds);
  const rows = await db.execute<{ provider: string; region: string; instance_type: string; succeeded: number; failed: number; blocked: boolean }>(sql`
    select provider, region, instance_type,
      (count(*) filter (where outcome = 'SUCCEEDED' and occurred_at > now() - make_interval(secs => ${windows.outcomeWindowSeconds})))::int as succeeded,
      (count(*) filter (where outcome = 'CAPACITY_FAILURE' and occurred_at > now() - make_interval(secs => ${windows.outcomeWindowSeconds})))::int as failed,
      coalesce(max(occurred_at) filter (where outcome = 'CAPACITY_FAILURE') > now() - make_interval(secs => ${windows.capacityBlockSeconds})
        and max(occurred_at) filter (where outcome = 'CAPACITY_FAILURE') >= coalesce(max(occurred_at) filter (where outcome = 'SUCCEEDED'), '-infinity'), false) as blocked
    from placement.create_outcomes
    where occurred_at > now() - make_interval(secs => ${window})
    group by provider, region, instance_type`);
  const blocked = new Set<string>();
  const outcomes = new Map<string, { succeeded: number; failed: number }>();
  for (const row of rows) {
    const key = offeringKey(row.provider, row.region, row.instance_type);
    if (row.blocked) blocked.add(key);
    if (row.succeeded + row.failed > 0) outcomes.set(key, { succeeded: row.succeeded, failed: row.failed });
  }
  return { blocked, outcomes };
}

/** Everything ranking needs about a tenant now: policy, quotas, usage with live reservations, and recent outcomes. */
export async function loadPlacementState(db: Executor, tenantId: string, windows: HistoryWindows): Promise<PlacementState> {
  const [policy, quotaRows, inUse, history] = await Promise.all([
    readPlacementPolicy(db, tenantId),
    db.select({ provider: quotas.provider, region: quotas.region, vcpus: quotas.vcpus }).from(quotas).where(eq(quotas.tenantId, tenantId)),
    capacityInUse(db, tenantId),
    recentOutcomes(db, windows),
  ]);
  const usage = new Map([...inUse].map(([key, { used, reserved }]) => [key, used + reserved]));
  return { policy, quotas: new Map(quotaRows.map((row) => [capacityKey(row.provider, row.region), row.vcpus])), usage, ...history };
}

/** Records that a create failed for lack of capacity on an offering; it is blocked for the configured time. */
export async function recordCapacityFailure(db: Executor, offering: { provider: string; region: string; instanceType: string }): Promise<void> {
  await db.execute(sql`insert into placement.create_outcomes (provider, region, instance_type, outcome) values (${offering.provider}, ${offering.region}, ${offering.instanceType}, 'CAPACITY_FAILURE')`);
}
