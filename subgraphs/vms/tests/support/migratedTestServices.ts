import { createSql } from '@novacron/db';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import type { VmsServices } from '../../src/context.ts';
import { migrateVms } from '../../src/db/migrateVms.ts';
import { testServices } from './testServices.ts';

/** A fresh database with the vms migrations applied, and {@link testServices} over a pool on it. */
export interface MigratedTestServices {
  database: TestDatabase;
  services: VmsServices;
  /** Ends the services' pool and drops the database. */
  drop(): Promise<void>;
}

export async function migratedTestServices(options: Parameters<typeof testServices>[2] = {}): Promise<MigratedTestServices> {
  const database = await createTestDatabase();
  try {
    await migrateVms(database.url);
  } catch (error) {
    await database.drop();
    throw error;
  }
  const sql = createSql(database.url, { max: 5 });
  const services = testServices(sql, database.url, options);
  const drop = async () => {
    await sql.end({ timeout: 5 });
    await database.drop();
  };
  return { database, services, drop };
}
