import type { MetricKind } from '../db/schema.ts';
import type { Queryable } from './Queryable.ts';
import type { Sample } from './Sample.ts';

/** The most recent raw sample of each kind of a VM (an index scan per kind, newest partition first). */
export async function readLatestSamples(sql: Queryable, vmId: string): Promise<Sample[]> {
  const rows = await sql<{ kind: MetricKind; ms: number; value: number }[]>`
    select k.kind, (extract(epoch from s.ts) * 1000)::float8 as ms, s.value
    from unnest(enum_range(null::metrics.metric_kind)) as k(kind)
    cross join lateral (
      select ts, value from metrics.samples where vm_id = ${vmId}::uuid and kind = k.kind order by ts desc limit 1
    ) s
    order by k.kind`;
  return rows.map((row) => ({ vmId, kind: row.kind, t: new Date(row.ms), value: row.value }));
}
