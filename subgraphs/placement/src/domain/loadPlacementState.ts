import { sql } from 'drizzle-orm';
import type { Executor } from '../db/createDatabase.ts';
import { capacityKey, defaultPolicy, offeringKey, type PlacementPolicy, type PlacementState } from './PlacementPolicy.ts';

/** How long history counts. */
export interface HistoryWindows {
  /** An offering with a capacity failure this recent (and no success since) is not placed on. */
  capacityBlockSeconds: number;
  /** Create outcomes this recent feed the reliability term. */
  outcomeWindowSeconds: number;
}

/** The per-offering history query: counts in the outcome window, and whether the offering is blocked now. */
function outcomesQuery(windows: HistoryWindows) {
  const window = Math.max(windows.capacityBlockSeconds, windows.outcomeWindowSeconds);
  return sql`
    select provider, region, instance_type,
      (count(*) filter (where outcome = 'SUCCEEDED' and occurred_at > now() - make_interval(secs => ${windows.outcomeWindowSeconds})))::int as succeeded,
      (count(*) filter (where outcome = 'CAPACITY_FAILURE' and occurred_at > now() - make_interval(secs => ${windows.outcomeWindowSeconds})))::int as failed,
      coalesce(max(occurred_at) filter (where outcome = 'CAPACITY_FAILURE') > now() - make_interval(secs => ${windows.capacityBlockSeconds})
        and max(occurred_at) filter (where outcome = 'CAPACITY_FAILURE') >= coalesce(max(occurred_at) filter (where outcome = 'SUCCEEDED'), '-infinity'), false) as blocked
    from placement.create_outcomes
    where occurred_at > now() - make_interval(secs => ${window})
    group by provider, region, instance_type`;
}

interface OutcomeRow {
  provider: string;
  region: string;
  instance_type: string;
  succeeded: number;
  failed: number;
  blocked: boolean;
}

function toHistory(rows: readonly OutcomeRow[]): Pick<PlacementState, 'blocked' | 'outcomes'> {
  const blocked = new Set<string>();
  const outcomes = new Map<string, { succeeded: number; failed: number }>();
  for (const row of rows) {
    const key = offeringKey(row.provider, row.region, row.instance_type);
    if (row.blocked) blocked.add(key);
    if (row.succeeded + row.failed > 0) outcomes.set(key, { succeeded: row.succeeded, failed: row.failed });
  }
  return { blocked, outcomes };
}

/** Recent create outcomes per offering, and which offerings are blocked now. */
export async function recentOutcomes(db: Executor, windows: HistoryWindows): Promise<Pick<PlacementState, 'blocked' | 'outcomes'>> {
  return toHistory(await db.execute<OutcomeRow & Record<string, unknown>>(outcomesQuery(windows)));
}

interface StateRow {
  policy: { allowed_providers: string[] | null; allowed_regions: string[] | null; denied_instance_families: string[]; max_hourly_price: number | null; weight_price: number; weight_region_preference: number; weight_reliability: number; weight_headroom: number } | null;
  quotas: [provider: string, region: string, vcpus: number][];
  usage: [provider: string, region: string, vcpus: number][];
  outcomes: OutcomeRow[];
}

/**
 * Everything ranking needs about a tenant now: policy, quotas, usage with live reservations, and
 * recent outcomes, in one round trip (every placementOptions request pays for it).
 */
export async function loadPlacementState(db: Executor, tenantId: string, windows: HistoryWindows): Promise<PlacementState> {
  const [row] = await db.execute<StateRow & Record<string, unknown>>(sql`
    select
      (select row_to_json(p) from placement.policies p where p.tenant_id = ${tenantId}) as policy,
      (select coalesce(json_agg(json_build_array(provider, region, vcpus)), '[]') from placement.quotas where tenant_id = ${tenantId}) as quotas,
      (select coalesce(json_agg(json_build_array(provider, region, vcpus)), '[]') from (
        select provider, region, sum(vcpus)::int as vcpus from (
          select provider, region, vcpus from placement.vm_usage where tenant_id = ${tenantId} and status not in ('DELETED', 'ERROR')
          union all
          select provider, region, vcpus from placement.reservations where tenant_id = ${tenantId} and status = 'HELD' and expires_at > now()
        ) counted group by provider, region) used) as usage,
      (select coalesce(json_agg(o), '[]') from (${outcomesQuery(windows)}) o) as outcomes`);
  const state = row as StateRow;
  const policy: PlacementPolicy = state.policy
    ? {
        allowedProviders: state.policy.allowed_providers,
        allowedRegions: state.policy.allowed_regions,
        deniedInstanceFamilies: state.policy.denied_instance_families,
        maxHourlyPrice: state.policy.max_hourly_price,
        weights: { price: state.policy.weight_price, regionPreference: state.policy.weight_region_preference, reliability: state.policy.weight_reliability, headroom: state.policy.weight_headroom },
      }
    : defaultPolicy;
  return {
    policy,
    quotas: new Map(state.quotas.map(([provider, region, vcpus]) => [capacityKey(provider, region), vcpus])),
    usage: new Map(state.usage.map(([provider, region, vcpus]) => [capacityKey(provider, region), vcpus])),
    ...toHistory(state.outcomes),
  };
}

/** Records that a create failed for lack of capacity on an offering; it is blocked for the configured time. */
export async function recordCapacityFailure(db: Executor, offering: { provider: string; region: string; instanceType: string }): Promise<void> {
  await db.execute(sql`insert into placement.create_outcomes (provider, region, instance_type, outcome) values (${offering.provider}, ${offering.region}, ${offering.instanceType}, 'CAPACITY_FAILURE')`);
}
