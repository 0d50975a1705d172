import postgres from 'postgres';

/** Options for {@link createSql}. */
export interface SqlOptions {
  /** Pool size; keep it small per process, Postgres connections are not free. */
  max?: number;
  /** A name shown in `pg_stat_activity`, to tell processes apart. */
  applicationName?: string;
}

/** The postgres.js client type used across NovaCron. */
export type Sql = postgres.Sql;

/** Creates a postgres.js pool with NovaCron's defaults (quiet notices, bigint as number-safe string). */
export function createSql(url: string, options: SqlOptions = {}): Sql {
  return postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? 'novacron' },
  });
}
