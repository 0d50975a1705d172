import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { Sql } from '@novacron/db';
import * as schema from './schema.ts';

/** The vms subgraph's typed drizzle handle, with its postgres.js pool (`$client`) for the hot paths written as prepared SQL. */
export type Database = PostgresJsDatabase<typeof schema> & { $client: Sql };
/** A transaction on {@link Database}. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
/** Either a database handle or a transaction; the helpers below accept both. */
export type Executor = Database | Transaction;

/** Wraps a postgres.js pool in drizzle with the vms tables. */
export function createDatabase(sql: Sql): Database {
  return drizzle(sql, { schema });
}
