import { defineConfig } from 'drizzle-kit';

// The migrations in drizzle/ are hand-written: drizzle-kit cannot declare range partitions or the
// partition maintenance function. src/db/schema.ts mirrors them for typed queries.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: './drizzle',
  schemaFilter: ['metrics'],
});
