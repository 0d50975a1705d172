import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate as drizzleMigrate } from 'drizzle-orm/postgres-js/migrator';
import { createSql } from './createSql.ts';

/** Options for {@link migrate}. */
export interface MigrateOptions {
  /** Folder holding the committed drizzle SQL migrations. */
  migrationsFolder: string;
  /**
   * The Postgres schema the owning service's migrations create; its journal is kept apart, in
   * `drizzle.<schema>_migrations`, so a migration may create the schema itself.
   */
  schema: string;
}

/**
 * Applies a service's committed drizzle migrations. A session advisory lock, held on a reserved
 * connection, makes concurrent starts (two replicas, a worker and its subgraph) wait for each other
 * instead of racing. Runs on its own short-lived pool: drizzle changes the type parsers of the pool
 * it wraps, which must not leak into the caller's pool.
 */
export async function migrate(databaseUrl: string, options: MigrateOptions): Promise<void> {
  // No statement or lock timeout: a concurrent start waits on the advisory lock for as long as the
  // other process migrates, and a migration may legitimately run long.
  const sql = createSql(databaseUrl, { max: 2, applicationName: `novacron-migrate-${options.schema}`, statementTimeoutMs: 0, lockTimeoutMs: 0 });
  const lockConnection = await sql.reserve().catch(async (error: unknown) => {
    await sql.end();
    throw error;
  });
  const lockKey = `novacron:migrate:${options.schema}`;
  try {
    await lockConnection`select pg_advisory_lock(hashtext(${lockKey}))`;
    await drizzleMigrate(drizzle(sql), {
      migrationsFolder: options.migrationsFolder,
      migrationsSchema: 'drizzle',
      migrationsTable: `${options.schema}_migrations`,
    });
  } finally {
    await lockConnection`select pg_advisory_unlock(hashtext(${lockKey}))`.catch(() => {});
    lockConnection.release();
    await sql.end({ timeout: 5 });
  }
}
