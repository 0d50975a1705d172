import { setTimeout as sleep } from 'node:timers/promises';
import type { Sql } from '@novacron/db';

/** Row writes to one table between two {@link snapshotTableWrites} (pg_stat_user_tables). */
export interface TableWrites {
  table: string;
  inserts: number;
  updates: number;
  /** Updates that wrote no index entry (heap-only tuples): the new version fit on the same page and no indexed column changed. */
  hotUpdates: number;
  deletes: number;
  /** Index scans and sequential scans, to tell a table read by index from one read whole. */
  indexScans: number;
  seqScans: number;
  /** Autovacuum's ANALYZE and VACUUM runs on the table (each samples or scans it: CPU outside the platform's processes). */
  autoAnalyzes: number;
  autoVacuums: number;
}

export type TableWritesSnapshot = Map<string, Omit<TableWrites, 'table'>>;

/**
 * Cumulative writes per table of the bench database. Backends report their counters when they go
 * idle, at most once a second (up to 10 s later when the shared statistics are busy), so a reading
 * taken right after the load undercounts; `settleMs` waits for those reports first.
 */
export async function snapshotTableWrites(sql: Sql, settleMs = 0): Promise<TableWritesSnapshot> {
  if (settleMs > 0) await sleep(settleMs);
  const rows = await sql<(Omit<TableWrites, 'table'> & { table: string })[]>`
    select schemaname || '.' || relname as table, n_tup_ins::float8 as inserts, n_tup_upd::float8 as updates,
           n_tup_hot_upd::float8 as "hotUpdates", n_tup_del::float8 as deletes,
           coalesce(idx_scan, 0)::float8 as "indexScans", seq_scan::float8 as "seqScans",
           autoanalyze_count::float8 as "autoAnalyzes", autovacuum_count::float8 as "autoVacuums"
    from pg_stat_user_tables`;
  return new Map(rows.map(({ table, ...counts }) => [table, counts]));
}

/** The tables written between two snapshots, most written first. */
export function tableWritesBetween(before: TableWritesSnapshot, after: TableWritesSnapshot): TableWrites[] {
  const writes: TableWrites[] = [];
  for (const [table, end] of after) {
    const start = before.get(table) ?? { inserts: 0, updates: 0, hotUpdates: 0, deletes: 0, indexScans: 0, seqScans: 0, autoAnalyzes: 0, autoVacuums: 0 };
    const delta: TableWrites = {
      table,
      inserts: end.inserts - start.inserts,
      updates: end.updates - start.updates,
      hotUpdates: end.hotUpdates - start.hotUpdates,
      deletes: end.deletes - start.deletes,
      indexScans: end.indexScans - start.indexScans,
      seqScans: end.seqScans - start.seqScans,
      autoAnalyzes: end.autoAnalyzes - start.autoAnalyzes,
      autoVacuums: end.autoVacuums - start.autoVacuums,
    };
    if (delta.inserts + delta.updates + delta.deletes > 0) writes.push(delta);
  }
  return writes.sort((a, b) => b.inserts + b.updates + b.deletes - (a.inserts + a.updates + a.deletes));
}
