import { fileURLToPath } from 'node:url';
import { migrate } from '@novacron/db';

/** The committed drizzle migrations of schema `placement`. */
export const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));

/** Brings schema `placement` up to date with the committed migrations. */
export async function migratePlacement(databaseUrl: string): Promise<void> {
  await migrate(databaseUrl, { migrationsFolder, schema: 'placement' });
}
