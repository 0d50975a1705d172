import type { Sql } from '@novacron/db';

/** One normalised statement's totals from pg_stat_statements. */
export interface StatementStats {
  query: string;
  calls: number;
  /** Execution time, lock waits included. */
  totalMs: number;
  meanMs: number;
  /** Planning time (track_planning): high when Postgres plans the statement again at each call. */
  planMs: number;
  /** How many times it was planned: as many as `calls` means a plan per call (a custom plan, or none cached). */
  plans: number;
  rows: number;
}

/** Zeroes pg_stat_statements, so a later {@link readTopStatements} covers one phase only. */
export async function resetStatementStats(sql: Sql): Promise<void> {
  await sql`select pg_stat_statements_reset()`;
}

/** The statements of the bench database with the most execution and planning time since the last reset. */
export async function readTopStatements(sql: Sql, limit = 15): Promise<StatementStats[]> {
  const rows = await sql<StatementStats[]>`
    select regexp_replace(query, '[[:space:]]+', ' ', 'g') as query, calls::float8 as calls, total_exec_time as "totalMs",
           mean_exec_time as "meanMs", total_plan_time as "planMs", plans::float8 as plans, rows::float8 as rows
    from pg_stat_statements
    where dbid = (select oid from pg_database where datname = current_database())
      and query not ilike '%pg_stat_statements%' and query not ilike '%pg_stat_activity%'
    order by total_exec_time + total_plan_time desc
    limit ${limit}`;
  return rows.map((row) => ({ ...row, query: row.query.slice(0, 140) }));
}
