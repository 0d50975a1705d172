import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { Sql } from '@novacron/db';
import * as schema from './schema.ts';

/** The billing subgraph's typed drizzle handle. */
export type Database = PostgresJsDatabase<typeof schema>;
/** A transaction on {@link Database}. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
/** Either a database handle or a transaction; domain functions accept both. */
export type Executor = Database | Transaction;

/** Wraps a postgres.js pool in drizzle with the billing tables. */
export function createDatabase(sql: Sql): Database {
  return drizzle(sql, { schema });
}
