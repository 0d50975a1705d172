import type { Queryable } from './Queryable.ts';
import { sketchKeySql } from './sketch.ts';

/**
 * Recomputes up to `limit` pending 5-minute buckets that ended before `closedBefore` from their raw
 * samples (count, sum, min, max and the log-bucket sketch, all inside PostgreSQL), and marks their
 * hours pending. Only closed buckets: a bucket still filling would be recomputed for every sample
 * that arrives. A recompute is whole and idempotent, so late and replaced samples simply make their
 * bucket pending again. Concurrent runs take disjoint buckets (`skip locked`). Returns the count.
 */
export async function rollUp5mBuckets(sql: Queryable, limit: number, closedBefore: Date): Promise<number> {
  const [row] = await sql<{ done: number }[]>`
    with picked as (
      select vm_id, kind, bucket_start from metrics.rollup_pending_5m
      where bucket_start + interval '5 minutes' <= ${closedBefore.toISOString()}::timestamptz
      order by vm_id, kind, bucket_start limit ${limit} for update skip locked
    ), todo as (
      delete from metrics.rollup_pending_5m p using picked
      where p.vm_id = picked.vm_id and p.kind = picked.kind and p.bucket_start = picked.bucket_start
      returning p.vm_id, p.kind, p.bucket_start
    ), bins as (
      -- LATERAL: one primary-key range scan per bucket (with partition pruning), never a merge join
      -- over every sample, which the planner picks for a large batch without it. The grouping is one
      -- aggregate over the whole batch, not one aggregate per bucket inside the LATERAL.
      select t.vm_id, t.kind, t.bucket_start, ${sql.unsafe(sketchKeySql('s.value'))} as key,
             count(*)::int as n, sum(s.value) as total, min(s.value) as low, max(s.value) as high
      from todo t cross join lateral (
        select value from metrics.samples
        where vm_id = t.vm_id and kind = t.kind and ts >= t.bucket_start and ts < t.bucket_start + interval '5 minutes'
      ) s
      group by 1, 2, 3, 4
    ), rolled as (
      insert into metrics.rollups_5m (vm_id, kind, bucket_start, count, sum, min, max, sketch_keys, sketch_counts)
      select vm_id, kind, bucket_start, sum(n)::int, sum(total), min(low), max(high), array_agg(key order by key), array_agg(n order by key)
      from bins group by vm_id, kind, bucket_start
      order by vm_id, kind, bucket_start
      on conflict (vm_id, kind, bucket_start) do update set
        count = excluded.count, sum = excluded.sum, min = excluded.min, max = excluded.max,
        sketch_keys = excluded.sketch_keys, sketch_counts = excluded.sketch_counts
    ), hours as (
      insert into metrics.rollup_pending_1h (vm_id, kind, bucket_start)
      select distinct vm_id, kind, to_timestamp(floor(extract(epoch from bucket_start) / 3600) * 3600) from todo
      order by 1, 2, 3
      on conflict do nothing
    )
    select count(*)::int as done from todo`;
  return row?.done ?? 0;
}

/**
 * Recomputes up to `limit` pending 1-hour buckets that ended before `closedBefore` by merging their
 * 5-minute rollups: counts and sums add, min/max combine, and sketches merge exactly (same keys add
 * their counts). Returns the count.
 */
export async function rollUp1hBuckets(sql: Queryable, limit: number, closedBefore: Date): Promise<number> {
  const [row] = await sql<{ done: number }[]>`
    with picked as (
      select vm_id, kind, bucket_start from metrics.rollup_pending_1h
      where bucket_start + interval '1 hour' <= ${closedBefore.toISOString()}::timestamptz
      order by vm_id, kind, bucket_start limit ${limit} for update skip locked
    ), todo as (
      delete from metrics.rollup_pending_1h p using picked
      where p.vm_id = picked.vm_id and p.kind = picked.kind and p.bucket_start = picked.bucket_start
      returning p.vm_id, p.kind, p.bucket_start
    ), parts as (
      select t.vm_id, t.kind, t.bucket_start as hour, r.count, r.sum, r.min, r.max, r.sketch_keys, r.sketch_counts
      from todo t cross join lateral (
        select count, sum, min, max, sketch_keys, sketch_counts from metrics.rollups_5m r
        where r.vm_id = t.vm_id and r.kind = t.kind and r.bucket_start >= t.bucket_start and r.bucket_start < t.bucket_start + interval '1 hour'
      ) r
    ), totals as (
      select vm_id, kind, hour, sum(count)::int as n, sum(sum) as total, min(min) as low, max(max) as high from parts group by 1, 2, 3
    ), bins as (
      select p.vm_id, p.kind, p.hour, u.key, sum(u.n)::int as n
      from parts p cross join lateral unnest(p.sketch_keys, p.sketch_counts) as u(key, n)
      group by 1, 2, 3, 4
    ), sketches as (
      select vm_id, kind, hour, array_agg(key order by key) as keys, array_agg(n order by key) as counts from bins group by 1, 2, 3
    ), rolled as (
      insert into metrics.rollups_1h (vm_id, kind, bucket_start, count, sum, min, max, sketch_keys, sketch_counts)
      select t.vm_id, t.kind, t.hour, t.n, t.total, t.low, t.high, s.keys, s.counts
      from totals t join sketches s using (vm_id, kind, hour)
      order by 1, 2, 3
      on conflict (vm_id, kind, bucket_start) do update set
        count = excluded.count, sum = excluded.sum, min = excluded.min, max = excluded.max,
        sketch_keys = excluded.sketch_keys, sketch_counts = excluded.sketch_counts
    )
    select count(*)::int as done from todo`;
  return row?.done ?? 0;
}

/** How long after a bucket ends it is rolled up: samples of its last seconds may still be on their way. */
export const rollupGraceMs = 30_000;

/**
 * Rolls up every pending bucket that closed at least {@link rollupGraceMs} before `now`, 5-minute
 * first, in batches; returns the buckets done per resolution.
 */
export async function rollUpPending(sql: Queryable, now: Date, batchSize = 5_000): Promise<{ fiveMinute: number; oneHour: number }> {
  const closedBefore = new Date(now.getTime() - rollupGraceMs);
  let fiveMinute = 0;
  let oneHour = 0;
  for (let done = await rollUp5mBuckets(sql, batchSize, closedBefore); done > 0; done = await rollUp5mBuckets(sql, batchSize, closedBefore)) fiveMinute += done;
  for (let done = await rollUp1hBuckets(sql, batchSize, closedBefore); done > 0; done = await rollUp1hBuckets(sql, batchSize, closedBefore)) oneHour += done;
  return { fiveMinute, oneHour };
}
