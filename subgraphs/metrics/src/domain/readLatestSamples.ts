import type { MetricKind } from '../db/schema.ts';
import type { Queryable } from './Queryable.ts';
import type { Sample } from './Sample.ts';
import { isUuid } from './vmDirectory.ts';

/**
 * The most recent raw sample of each kind of each of these VMs, in one statement (an index scan per
 * VM and kind, newest partition first), by lower-case VM id; a VM without samples maps to [].
 */
export async function readLatestSamples(sql: Queryable, vmIds: readonly string[]): Promise<Map<string, Sample[]>> {
  const ids = [...new Set(vmIds.filter(isUuid).map((id) => id.toLowerCase()))];
  const latest = new Map<string, Sample[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return latest;
  const rows = await sql<{ vm_id: string; kind: MetricKind; ms: number; value: number }[]>`
    select v.vm_id::text as vm_id, k.kind, (extract(epoch from s.ts) * 1000)::float8 as ms, s.value
    from unnest(${ids}::uuid[]) as v(vm_id)
    cross join unnest(enum_range(null::metrics.metric_kind)) as k(kind)
    cross join lateral (
      select ts, value from metrics.samples where vm_id = v.vm_id and kind = k.kind order by ts desc limit 1
    ) s
    order by v.vm_id, k.kind`;
  for (const row of rows) latest.get(row.vm_id)!.push({ vmId: row.vm_id, kind: row.kind, t: new Date(row.ms), value: row.value });
  return latest;
}
