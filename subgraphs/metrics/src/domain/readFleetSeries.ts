import { badInput } from '@novacron/errors';
import type { Queryable } from './Queryable.ts';
import type { SeriesPlan } from './planSeriesQuery.ts';
import { emptySeries, readSeries, type SeriesPoint } from './readSeries.ts';

/** How fleet series are grouped. */
export type MetricGroupBy = 'PROVIDER' | 'REGION' | 'LABEL';

/** Which VMs of the tenant a fleet query covers; every given criterion must hold. */
export interface FleetFilter {
  providers?: readonly string[] | null;
  regions?: readonly string[] | null;
  /** Each selector must match: the label equals `value`, or (no value) the VM carries the key. */
  labels?: readonly { key: string; value?: string | null }[] | null;
}

/** One group of a fleet query. */
export interface FleetGroup {
  /** The provider, region or label value; null for VMs without the label. */
  key: string | null;
  /** VMs of the group that existed during the range. */
  vmCount: number;
  points: SeriesPoint[];
}

/**
 * Aggregates a metric over the tenant's VMs (those that existed during the range and match the
 * filter), grouped by provider, region or a label's value. Each point aggregates every sample of the
 * group's VMs in its bucket (AVG: mean of all samples; SUM: their total; percentiles: of all samples).
 */
export async function readFleetSeries(
  sql: Queryable,
  tenantId: string,
  plan: SeriesPlan,
  grouping: { groupBy: MetricGroupBy; labelKey?: string | null; filter?: FleetFilter | null },
): Promise<FleetGroup[]> {
  const { groupBy, labelKey, filter } = grouping;
  if (groupBy === 'LABEL' && !labelKey) throw badInput('labelKey', 'grouping by LABEL needs labelKey');
  const first = plan.firstBucket.toISOString();
  const end = plan.end.toISOString();
  const selectVms = (db: Queryable) => {
    const groupKey = groupBy === 'PROVIDER' ? db`provider` : groupBy === 'REGION' ? db`region` : db`labels ->> ${labelKey!}`;
    const providers = filter?.providers?.length ? db`and provider = any(${[...filter.providers]}::text[])` : db``;
    const regions = filter?.regions?.length ? db`and region = any(${[...filter.regions]}::text[])` : db``;
    const exact = Object.fromEntries((filter?.labels ?? []).filter((s) => s.value !== undefined && s.value !== null).map((s) => [s.key, s.value!]));
    const keys = (filter?.labels ?? []).filter((s) => s.value === undefined || s.value === null).map((s) => s.key);
    const labels = db`${Object.keys(exact).length ? db`and labels @> ${JSON.stringify(exact)}::text::jsonb` : db``} ${keys.length ? db`and labels ?& ${keys}::text[]` : db``}`;
    return db`
      select vm_id, ${groupKey} as group_key from metrics.vms
      where tenant_id = ${tenantId} and created_at < ${end}::timestamptz and (deleted_at is null or deleted_at > ${first}::timestamptz)
      ${providers} ${regions} ${labels}`;
  };
  const counts = await sql<{ group_key: string | null; vms: number }[]>`
    with vm_set as (${selectVms(sql)}) select group_key, count(*)::int as vms from vm_set group by 1`;
  if (counts.length === 0) return [];
  const series = await readSeries(sql, plan, { kind: 'query', select: selectVms });
  return counts
    .map((row) => ({ key: row.group_key, vmCount: row.vms, points: series.get(row.group_key) ?? emptySeries(plan) }))
    .sort((a, b) => (a.key === b.key ? 0 : a.key === null ? 1 : b.key === null ? -1 : a.key < b.key ? -1 : 1));
}
