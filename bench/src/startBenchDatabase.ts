import { createPostgresFolder, createSql, ensureDatabase, startEmbeddedPostgres, type Sql } from '@novacron/db';
import { freePort } from '@novacron/testing';

/** A benchmark's own PostgreSQL and the folder its run keeps files in. */
export interface BenchDatabase {
  /** A temporary folder for this run (Postgres data, development keys); removed on clean-up. */
  folder: string;
  databaseUrl: string;
  /** A small pool on the bench database, for polling and integrity checks. */
  sql: Sql;
}

/**
 * Starts a throw-away embedded PostgreSQL on a free port with one database, optionally with
 * pg_stat_statements. Each clean-up step is pushed onto `cleanups` as soon as it is owed, so a
 * failure part-way leaves nothing behind.
 */
export async function startBenchDatabase(options: {
  folderPrefix: string;
  database: string;
  applicationName: string;
  statementStats?: boolean;
  /**
   * autovacuum_naptime in seconds (unset or 0: Postgres's default, 60 s). A benchmark grows its tables
   * from empty to tens of thousands of rows in a minute. Postgres re-plans a prepared statement's cached
   * generic plan only when the table is analysed, and autovacuum looks once per naptime: with 60 s every
   * statement ran for the first minute on a plan made for an empty table (sequential scans of
   * vm_events by each feed read, of graphile-worker's jobs by each add_jobs: 5.4 ms of CPU per executed
   * create instead of 3.1; docs/benchmarks.md, "Plans and statistics"). A deployment's tables are large
   * next to a minute's growth, so its statistics keep up at the default; a 1-s naptime lets the bench's
   * keep up the same way. The platform's own Postgres settings are not changed.
   */
  autovacuumNaptimeSeconds?: number;
  cleanups: (() => Promise<void>)[];
}): Promise<BenchDatabase> {
  const { cleanups } = options;
  const { folder, dataDir, remove } = await createPostgresFolder(options.folderPrefix);
  cleanups.push(remove);
  const port = await freePort();
  if (options.statementStats) {
    // shared_preload_libraries only takes effect at server start: set it, then start again.
    const first = await startEmbeddedPostgres({ dataDir, port, persistent: true });
    const admin = createSql(first.url, { max: 1, applicationName: options.applicationName });
    // track = all: statements run by triggers and functions (the outbox's, graphile-worker's add_job) are listed too.
    await admin
      .unsafe(`alter system set shared_preload_libraries = 'pg_stat_statements'`)
      .then(() => admin.unsafe(`alter system set pg_stat_statements.track = 'all'`))
      // Planning time too: a prepared statement Postgres plans again at every call (a custom plan) pays it each time.
      .then(() => admin.unsafe(`alter system set pg_stat_statements.track_planning = on`))
      .finally(() => admin.end());
    await first.stop();
  }
  const postgres = await startEmbeddedPostgres({ dataDir, port, persistent: false });
  cleanups.push(() => postgres.stop());
  const databaseUrl = await ensureDatabase(postgres.url, options.database);
  const sql = createSql(databaseUrl, { max: 4, applicationName: options.applicationName });
  cleanups.push(() => sql.end({ timeout: 5 }));
  if (options.statementStats) await sql`create extension if not exists pg_stat_statements`;
  if (options.autovacuumNaptimeSeconds) {
    await sql.unsafe(`alter system set autovacuum_naptime = ${Math.trunc(options.autovacuumNaptimeSeconds)}`);
    await sql`select pg_reload_conf()`;
  }
  return { folder, databaseUrl, sql };
}
