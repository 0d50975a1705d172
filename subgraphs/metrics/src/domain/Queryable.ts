import type postgres from 'postgres';
import type { Sql } from '@novacron/db';

/** A postgres.js pool or a transaction on it: every storage function accepts both. */
export type Queryable = Sql | postgres.TransactionSql;
