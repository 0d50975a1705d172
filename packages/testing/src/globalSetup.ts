import type { TestProject } from 'vitest/node';
import { createPostgresFolder, startEmbeddedPostgres } from '@novacron/db';
import { freePort } from './freePort.ts';

/**
 * vitest global setup: uses `DATABASE_URL` when set, otherwise starts one real embedded PostgreSQL
 * for the whole run in a temporary folder, and removes it afterwards.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.DATABASE_URL;
  if (external) {
    project.provide('postgresServerUrl', external);
    return async () => {};
  }
  const scratch = await createPostgresFolder('novacron-test-pg-');
  const postgres = await startEmbeddedPostgres({ dataDir: scratch.dataDir, port: await freePort(), persistent: false });
  project.provide('postgresServerUrl', postgres.url);
  return async () => {
    await postgres.stop();
    await scratch.remove();
  };
}
