export { startEmbeddedPostgres } from './startEmbeddedPostgres.ts';
export type { EmbeddedPostgresOptions, RunningPostgres } from './startEmbeddedPostgres.ts';
export { createSql } from './createSql.ts';
export type { Sql, SqlOptions } from './createSql.ts';
export { migrate } from './migrate.ts';
export type { MigrateOptions } from './migrate.ts';
export { ensureDatabase } from './ensureDatabase.ts';
