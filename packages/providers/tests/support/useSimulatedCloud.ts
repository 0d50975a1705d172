import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { migrateSimulatedCloud } from '../../src/index.ts';

/** Gives a test file its own database with the `simcloud` schema, dropped after the file. */
export function useSimulatedCloud(): { readonly db: TestDatabase } {
  const holder = {} as { db: TestDatabase };
  beforeAll(async () => {
    holder.db = await createTestDatabase();
    await migrateSimulatedCloud(holder.db.url);
  });
  afterAll(async () => {
    await holder.db?.drop();
  });
  return holder;
}
