import { mkdtemp, rm } from 'node:fs/promises';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, type Sql } from '@novacron/db';
import { createLogger } from '@novacron/server-kit';
import { createTestDatabase, waitFor, type TestDatabase } from '@novacron/testing';
import { migrateVms } from '../src/db/migrateVms.ts';
import { requestCreate } from '../src/domain/requestOperation.ts';
import { startWorker, workerApplicationNames, type RunningWorker } from '../src/worker/startWorker.ts';
import { testConfig } from './support/testConfig.ts';
import { testServices } from './support/testServices.ts';

// The worker's Postgres backends give way to the accept path's on a shared machine: both of its pools
// (its own and graphile-worker's) are named, and lowered when the database is local (the test cluster is).
let database: TestDatabase;
let sql: Sql;
let keysDir: string;
let worker: RunningWorker | undefined;

beforeAll(async () => {
  keysDir = await mkdtemp(join(tmpdir(), 'novacron-worker-priority-keys-'));
  database = await createTestDatabase();
  await migrateVms(database.url);
  sql = createSql(database.url, { max: 2, applicationName: 'novacron-vms' });
});
afterAll(async () => {
  await worker?.stop();
  await sql?.end();
  await rm(keysDir, { recursive: true, force: true });
  await database?.drop();
});

const backends = async () =>
  sql<{ pid: number; application: string }[]>`
    select pid, application_name as application from pg_stat_activity
    where datname = current_database() and backend_type = 'client backend'`;

describe("the worker's Postgres backends", () => {
  it('run at the lower priority, both pools, while every other backend keeps its own', async () => {
    // What a backend runs at unless lowered: the postmaster's nice, which every backend inherits.
    const normal = getPriority((await sql<{ pid: number }[]>`select pg_backend_pid() as pid`)[0]!.pid);
    const base = testConfig(database.url);
    worker = await startWorker({ ...base, security: { ...base.security, keysDir }, worker: { ...base.worker, nice: 8 } }, createLogger('test', 'silent'), { backendNice: 8 });
    // An executed create makes both pools connect (graphile-worker's fetches the job, the worker's claims it).
    const accepted = await requestCreate(testServices(sql, database.url), 'default', { name: 'priority-1', provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', image: 'debian-12' }, null);
    await waitFor(async () => (await sql<{ status: string }[]>`select status from vms.operations where id = ${accepted.id}`)[0]?.status === 'SUCCEEDED', { description: 'the create to succeed' });
    const ours = (await backends()).filter((row) => (workerApplicationNames as readonly string[]).includes(row.application));
    expect(new Set(ours.map((row) => row.application))).toEqual(new Set(workerApplicationNames));
    // Found at the first scan or the next (every 2 s): pools connect as they need to.
    await waitFor(async () => (await backends()).filter((row) => (workerApplicationNames as readonly string[]).includes(row.application)).every((row) => getPriority(row.pid) === 8), {
      description: 'every worker backend at nice 8',
    });
    const others = (await backends()).filter((row) => !(workerApplicationNames as readonly string[]).includes(row.application));
    expect(others.length).toBeGreaterThan(0);
    for (const row of others) expect(getPriority(row.pid)).toBe(normal);
  });
});
