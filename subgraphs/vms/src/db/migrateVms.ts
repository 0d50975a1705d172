import { fileURLToPath } from 'node:url';
import { runMigrations } from 'graphile-worker';
import { migrate } from '@novacron/db';
import { migrateSimulatedCloud } from '@novacron/providers';

/**
 * Brings the database up to date for the vms subgraph: its own committed drizzle migrations (schema
 * `vms`), the job queue's schema (graphile-worker's own migrations), and the simulated cloud's.
 */
export async function migrateVms(databaseUrl: string): Promise<void> {
  await migrate(databaseUrl, { migrationsFolder: fileURLToPath(new URL('../../drizzle', import.meta.url)), schema: 'vms' });
  await runMigrations({ connectionString: databaseUrl, logger: undefined });
  await migrateSimulatedCloud(databaseUrl);
}
