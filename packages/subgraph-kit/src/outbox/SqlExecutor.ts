import type { SQL } from 'drizzle-orm';

/** A drizzle database or transaction: anything that runs a raw `sql` query. */
export interface SqlExecutor {
  execute(query: SQL): PromiseLike<unknown>;
}

/** Runs a query and returns its rows, typed by the caller. */
export async function queryRows<T>(db: SqlExecutor, query: SQL): Promise<T[]> {
  return (await db.execute(query)) as T[];
}
