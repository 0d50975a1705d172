import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '@novacron/db';
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
  const parent = await mkdtemp(join(tmpdir(), 'novacron-test-pg-'));
  // As root, Postgres runs as the `postgres` user, which must be able to enter this folder.
  await chmod(parent, 0o755);
  const postgres = await startEmbeddedPostgres({ dataDir: join(parent, 'data'), port: await freePort(), persistent: false });
  project.provide('postgresServerUrl', postgres.url);
  return async () => {
    await postgres.stop();
    await rm(parent, { recursive: true, force: true });
  };
}
