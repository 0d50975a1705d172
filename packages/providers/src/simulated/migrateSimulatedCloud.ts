import { fileURLToPath } from 'node:url';
import { migrate } from '@novacron/db';

const migrationsFolder = fileURLToPath(new URL('../../drizzle-simcloud', import.meta.url));

/**
 * Creates or upgrades the simulated cloud's `simcloud` schema from the committed migrations in
 * `drizzle-simcloud/`. Safe to call from several processes at once; call it before using a
 * simulated driver or injecting faults.
 */
export async function migrateSimulatedCloud(databaseUrl: string): Promise<void> {
  await migrate(databaseUrl, { migrationsFolder, schema: 'simcloud' });
}
