import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';

/** A drizzle database or transaction: anything that runs a raw `sql` query. */
export interface SqlExecutor {
  execute(query: SQL): PromiseLike<unknown>;
}

/** Runs a query and returns its rows, typed by the caller. */
export async function queryRows<T>(db: SqlExecutor, query: SQL): Promise<T[]> {
  return (await db.execute(query)) as T[];
}

/** The part of a postgres.js client a drizzle database keeps as `$client` that runs a statement by text. */
interface PreparingClient {
  unsafe(text: string, params: unknown[], options: { prepare: boolean }): PromiseLike<unknown>;
}

const dialect = new PgDialect();

/**
 * Runs a hot query as a named prepared statement when `db` is a drizzle database over postgres.js
 * (which prepares per connection, keyed by the text): drizzle's `execute` sends every raw query
 * unnamed, so PostgreSQL parses and plans it each time. In a transaction (no `$client`) it runs as
 * {@link queryRows} does. For statements whose text takes a bounded number of shapes only.
 */
export async function queryPreparedRows<T>(db: SqlExecutor, query: SQL): Promise<T[]> {
  const client = (db as { $client?: Partial<PreparingClient> }).$client;
  if (typeof client?.unsafe !== 'function') return queryRows(db, query);
  const { sql: text, params } = dialect.sqlToQuery(query);
  return (await (client as PreparingClient).unsafe(text, params, { prepare: true })) as T[];
}
