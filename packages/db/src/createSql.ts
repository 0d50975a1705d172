import postgres from 'postgres';
import { traceSql } from './traceSql.ts';

/** Options for {@link createSql}. */
export interface SqlOptions {
  /** Pool size; keep it small per process, Postgres connections are not free. */
  max?: number;
  /** A name shown in `pg_stat_activity`, to tell processes apart. */
  applicationName?: string;
  /** `statement_timeout`: a statement running longer is cancelled (57014). 0 turns it off. */
  statementTimeoutMs?: number;
  /** `lock_timeout`: a statement waiting longer for a lock is cancelled (55P03). 0 turns it off. */
  lockTimeoutMs?: number;
  /**
   * `idle_in_transaction_session_timeout`: a session idle inside a transaction for longer is
   * terminated, releasing its locks. 0 turns it off.
   */
  idleInTransactionTimeoutMs?: number;
  /** Further settings every connection of the pool starts with (startup parameters, custom ones such as `novacron.event_signals` included). */
  settings?: Readonly<Record<string, string>>;
}

/**
 * Server-side limits every NovaCron pool gets unless told otherwise. One idle transaction anywhere
 * used to freeze every event feed (readers wait on its xid) and every writer of its rows, without
 * end; these turn such a hang into a clear, retryable error within seconds.
 */
export const defaultPostgresTimeouts = Object.freeze({ statementTimeoutMs: 30_000, lockTimeoutMs: 10_000, idleInTransactionTimeoutMs: 60_000 });

/** The postgres.js client type used across NovaCron. */
export type Sql = postgres.Sql;

/**
 * Creates a postgres.js pool with NovaCron's defaults: quiet notices and the timeouts above. An
 * operator changes the timeouts for a whole process through the database URL, whose query parameters
 * take precedence (`…/novacron?statement_timeout=5000&lock_timeout=2000`). Its queries are traced
 * ({@link traceSql}).
 */
export function createSql(url: string, options: SqlOptions = {}): Sql {
  const sql = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    connection: {
      application_name: options.applicationName ?? 'novacron',
      statement_timeout: options.statementTimeoutMs ?? defaultPostgresTimeouts.statementTimeoutMs,
      lock_timeout: options.lockTimeoutMs ?? defaultPostgresTimeouts.lockTimeoutMs,
      idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? defaultPostgresTimeouts.idleInTransactionTimeoutMs,
      ...options.settings,
    },
  });
  // Queries made inside a span are traced (client spans); outside one they pass straight through.
  return traceSql(sql);
}
