import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { createDatabase, type Database } from '../../src/db/createDatabase.ts';
import { migrateBilling } from '../../src/db/migrateBilling.ts';

/** A fresh database with the billing migrations applied, and its drizzle handle. */
export async function createBillingDatabase(): Promise<TestDatabase & { db: Database }> {
  const database = await createTestDatabase();
  await migrateBilling(database.url);
  return Object.assign(database, { db: createDatabase(database.sql) });
}
