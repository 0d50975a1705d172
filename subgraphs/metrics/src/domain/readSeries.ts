import type { PendingQuery, Row } from 'postgres';
import type { Queryable } from './Queryable.ts';
import type { SeriesPlan } from './planSeriesQuery.ts';
import { sketchValueOf } from './sketch.ts';

/** One point of a series: the bucket start and its value, null when the bucket holds no sample. */
export interface SeriesPoint {
  t: Date;
  value: number | null;
}

/** The VMs a series aggregates, each with the group it belongs to. */
export type VmSet = { kind: 'one'; vmId: string } | { kind: 'query'; select: (sql: Queryable) => PendingQuery<Row[]> };

const percentiles = { P95: 0.95, P99: 0.99 } as const;

/** The bucket width of each rollup resolution, in seconds. */
const rollupSeconds = { ROLLUP_5M: 300, ROLLUP_1H: 3600 } as const;

/**
 * Reads aggregated, step-aligned buckets for a set of VMs, grouped by the set's `group_key`, and
 * returns one dense series per group (every bucket present, empty ones null). Raw percentiles are
 * exact (`percentile_disc`, nearest rank); rollup percentiles merge the buckets' sketches and take
 * the same nearest rank, within the sketch's relative accuracy.
 */
export async function readSeries(sql: Queryable, plan: SeriesPlan, vms: VmSet): Promise<Map<string | null, SeriesPoint[]>> {
  const vmSet = vms.kind === 'one' ? sql`select ${vms.vmId}::uuid as vm_id, ''::text as group_key` : vms.select(sql);
  const stride = sql`make_interval(secs => ${plan.step}::int)`;
  const first = plan.firstBucket.toISOString();
  const end = plan.end.toISOString();
  let rows: { group_key: string | null; bucket: number; value: number | null; key?: number | null }[];
  if (plan.resolution === 'RAW') {
    const aggregate =
      plan.aggregate === 'P95' || plan.aggregate === 'P99'
        ? sql`percentile_disc(${percentiles[plan.aggregate]}::float8) within group (order by s.value)`
        : sql.unsafe(`${plan.aggregate.toLowerCase()}(s.value)`);
    rows = await sql`
      with vm_set as (${vmSet})
      select v.group_key, date_part('epoch', date_bin(${stride}, s.ts, timestamptz 'epoch')) * 1000 as bucket, ${aggregate}::float8 as value
      from vm_set v cross join lateral (
        select ts, value from metrics.samples
        where vm_id = v.vm_id and kind = ${plan.kind}::metrics.metric_kind and ts >= ${first}::timestamptz and ts < ${end}::timestamptz
      ) s
      group by 1, 2`;
  } else {
    const table = sql.unsafe(plan.resolution === 'ROLLUP_5M' ? 'metrics.rollups_5m' : 'metrics.rollups_1h');
    // Per VM (LATERAL): a primary-key range scan each, never a hash join over a month of rollups.
    const rollupRows = (from: typeof table, vmColumn: string) => sql`
      select bucket_start, count, sum, min, max, sketch_keys, sketch_counts from ${from}
      where vm_id = ${sql.unsafe(vmColumn)} and kind = ${plan.kind}::metrics.metric_kind and bucket_start >= ${first}::timestamptz and bucket_start < ${end}::timestamptz`;
    if (plan.aggregate === 'P95' || plan.aggregate === 'P99') {
      rows = await sql`
        with vm_set as (${vmSet}), bins as (
          select v.group_key, date_part('epoch', date_bin(${stride}, r.bucket_start, timestamptz 'epoch')) * 1000 as bucket, u.key, sum(u.n) as n
          from vm_set v cross join lateral (${rollupRows(table, 'v.vm_id')}) r
          cross join lateral unnest(r.sketch_keys, r.sketch_counts) as u(key, n)
          group by 1, 2, 3
        ), ranked as (
          select group_key, bucket, key,
                 sum(n) over (partition by group_key, bucket order by key) as running,
                 sum(n) over (partition by group_key, bucket) as total
          from bins
        )
        select group_key, bucket, min(key) as key, null::float8 as value from ranked
        where running >= ceil(${percentiles[plan.aggregate]}::float8 * total)
        group by 1, 2`;
    } else if (vms.kind === 'one' && plan.step === rollupSeconds[plan.resolution]) {
      // One VM at the rollup's own width: each rollup row is a point, no aggregation. EXPLAIN ANALYZE
      // on 7 days at 5 minutes: the index scan took 0.6 ms, the hash aggregate it replaces 3.3 ms.
      const value = { AVG: sql`sum / count`, SUM: sql`sum`, MIN: sql`min`, MAX: sql`max` }[plan.aggregate];
      rows = await sql`
        select ''::text as group_key, date_part('epoch', bucket_start) * 1000 as bucket, (${value})::float8 as value from ${table}
        where vm_id = ${vms.vmId}::uuid and kind = ${plan.kind}::metrics.metric_kind and bucket_start >= ${first}::timestamptz and bucket_start < ${end}::timestamptz`;
    } else {
      const aggregate = {
        AVG: sql`sum(r.sum) / sum(r.count)`,
        SUM: sql`sum(r.sum)`,
        MIN: sql`min(r.min)`,
        MAX: sql`max(r.max)`,
      }[plan.aggregate];
      // At the rollup's own width the bucket is the rollup's start (no date_bin per row).
      const bucket = plan.step === rollupSeconds[plan.resolution] ? sql`r.bucket_start` : sql`date_bin(${stride}, r.bucket_start, timestamptz 'epoch')`;
      // Grouped on the timestamp; converted to epoch ms once per bucket, not once per rollup row.
      rows = await sql`
        with vm_set as (${vmSet})
        select group_key, date_part('epoch', bucket_start) * 1000 as bucket, value from (
          select v.group_key, ${bucket} as bucket_start, ${aggregate}::float8 as value
          from vm_set v cross join lateral (${rollupRows(table, 'v.vm_id')}) r
          group by 1, 2
        ) g`;
    }
  }
  const stepMs = plan.step * 1000;
  const firstMs = plan.firstBucket.getTime();
  const series = new Map<string | null, SeriesPoint[]>();
  const dense = () => Array.from({ length: plan.points }, (_, index) => ({ t: new Date(firstMs + index * stepMs), value: null as number | null }));
  for (const row of rows) {
    let points = series.get(row.group_key);
    if (!points) series.set(row.group_key, (points = dense()));
    const index = Math.round((row.bucket - firstMs) / stepMs);
    const point = points[index];
    if (!point) continue;
    point.value = row.key !== undefined && row.key !== null ? sketchValueOf(row.key) : row.value;
  }
  if (vms.kind === 'one' && !series.has('')) series.set('', dense());
  return series;
}

/** An empty dense series for a plan (every bucket null). */
export function emptySeries(plan: SeriesPlan): SeriesPoint[] {
  const stepMs = plan.step * 1000;
  return Array.from({ length: plan.points }, (_, index) => ({ t: new Date(plan.firstBucket.getTime() + index * stepMs), value: null }));
}
