import { fileURLToPath } from 'node:url';
import { migrate } from '@novacron/db';

/** The folder of the subgraph's committed migrations. */
export const metricsMigrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));

/** Brings the `metrics` schema up to date (committed migrations, under the shared migration lock). */
export async function migrateMetrics(databaseUrl: string): Promise<void> {
  await migrate(databaseUrl, { migrationsFolder: metricsMigrationsFolder, schema: 'metrics' });
}
