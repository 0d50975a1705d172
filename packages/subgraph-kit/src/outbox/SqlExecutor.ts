import { sql, type SQL } from 'drizzle-orm';

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

/**
 * Runs a hot statement, written with `$n` parameters, as a named prepared statement when `db` is a
 * drizzle database over postgres.js (which prepares per connection, keyed by the text): drizzle's
 * `execute` sends every raw query unnamed, so PostgreSQL parsed and planned the feed's page each time
 * (planning took three times as long as running it), and building the text from `sql` fragments
 * (drizzle's `sqlToQuery`) was 5 % of the vms subgraph's CPU in the fan-out benchmark. In a
 * transaction (no `$client`) it goes through `execute` with the same text and values. For statements
 * whose text takes a bounded number of shapes, with no `$` but their parameters.
 */
export async function queryStatement<T>(db: SqlExecutor, text: string, params: readonly unknown[]): Promise<T[]> {
  const client = (db as { $client?: Partial<PreparingClient> }).$client;
  if (typeof client?.unsafe === 'function') return (await (client as PreparingClient).unsafe(text, [...params], { prepare: true })) as T[];
  const chunks: SQL[] = [];
  let from = 0;
  for (const match of text.matchAll(/\$(\d+)/g)) {
    chunks.push(sql.raw(text.slice(from, match.index)), sql`${params[Number(match[1]) - 1]}`);
    from = match.index + match[0].length;
  }
  chunks.push(sql.raw(text.slice(from)));
  return queryRows<T>(db, sql.join(chunks));
}
