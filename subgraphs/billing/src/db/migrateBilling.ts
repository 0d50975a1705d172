import { fileURLToPath } from 'node:url';
import { migrate } from '@novacron/db';

/** The folder of the committed migrations. */
export const billingMigrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));

/** Applies the billing subgraph's committed drizzle migrations (schema `billing`). */
export async function migrateBilling(databaseUrl: string): Promise<void> {
  await migrate(databaseUrl, { migrationsFolder: billingMigrationsFolder, schema: 'billing' });
}
