import type { Queryable } from './Queryable.ts';

/** How long each resolution is kept, and how far ahead raw partitions are created. */
export interface RetentionSettings {
  rawDays: number;
  rollup5mDays: number;
  rollup1hDays: number;
  /** Days of raw partitions created ahead of today (rollups always get next month's). */
  rawAheadDays: number;
}

/** The defaults: raw 7 days, 5-minute rollups 90 days, 1-hour rollups 2 years. */
export const defaultRetention: RetentionSettings = Object.freeze({ rawDays: 7, rollup5mDays: 90, rollup1hDays: 730, rawAheadDays: 3 });

/** One partition created or dropped by {@link maintainPartitions}. */
export interface PartitionChange {
  action: 'created' | 'dropped';
  partitionName: string;
}

/**
 * Creates the partitions the retention window (and the days ahead) needs and drops those wholly
 * older than retention, as of `now`. Idempotent; safe to run from several replicas (the function
 * runs under an advisory lock so two never race on the same partition).
 */
export async function maintainPartitions(sql: Queryable, now: Date, retention: RetentionSettings): Promise<PartitionChange[]> {
  const run = async (tx: Queryable) => {
    await tx`select pg_advisory_xact_lock(hashtext('novacron:metrics:partitions'))`;
    return tx<{ action: 'created' | 'dropped'; partition_name: string }[]>`
      select action, partition_name from metrics.maintain_partitions(
        ${now.toISOString()}::timestamptz,
        make_interval(days => ${retention.rawDays}::int),
        make_interval(days => ${retention.rollup5mDays}::int),
        make_interval(days => ${retention.rollup1hDays}::int),
        ${retention.rawAheadDays}::int)`;
  };
  const rows = 'begin' in sql ? await sql.begin((tx) => run(tx)) : await run(sql);
  return rows.map((row) => ({ action: row.action, partitionName: row.partition_name }));
}
