import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inArray } from 'drizzle-orm';
import { createSql } from '@novacron/db';
import { createLogger } from '@novacron/server-kit';
import { createTestDatabase, waitFor, type TestDatabase } from '@novacron/testing';
import type { VmsConfig } from '../src/config.ts';
import type { VmsServices } from '../src/context.ts';
import type { Database } from '../src/db/createDatabase.ts';
import { migrateVms } from '../src/db/migrateVms.ts';
import { operations } from '../src/db/schema.ts';
import { requestCreate } from '../src/domain/requestOperation.ts';
import { jobBatching, startWorker, workerPoolSize, workerSqlPoolSize } from '../src/worker/startWorker.ts';
import { testConfig } from './support/testConfig.ts';
import { testServices } from './support/testServices.ts';

// Real worker runners (graphile-worker, sweeper, heartbeats) in this process against a fresh database.
let database: TestDatabase;
let db: Database;
let services: VmsServices;
let keysDir: string;
const silent = createLogger('test', 'silent');

function configWith(worker: Partial<VmsConfig['worker']>, latencyMs = { min: 0, max: 0 }): VmsConfig {
  const base = testConfig(database.url);
  // The worker loads (in development, creates) the credential key under keysDir.
  return { ...base, security: { ...base.security, keysDir }, simulated: { ...base.simulated, latencyMs }, worker: { ...base.worker, ...worker } };
}

async function statuses(ids: string[]): Promise<string[]> {
  const rows = await db.select({ status: operations.status }).from(operations).where(inArray(operations.id, ids));
  return rows.map((row) => row.status);
}

beforeAll(async () => {
  keysDir = await mkdtemp(join(tmpdir(), 'novacron-worker-keys-'));
  database = await createTestDatabase();
  await migrateVms(database.url);
  const sql = createSql(database.url, { max: 5 });
  services = testServices(sql, database.url);
  db = services.db;
});
afterAll(async () => {
  await rm(keysDir, { recursive: true, force: true });
  await database?.drop();
});

describe('operation worker process', () => {
  it('gives graphile-worker a connection beyond its LISTEN connection at any concurrency', () => {
    expect(workerPoolSize(1)).toBe(2);
    expect(workerPoolSize(200)).toBe(21);
  });

  it('keeps its own pool small (2 to 4 connections) and fetches jobs through a local queue only with more than one slot', () => {
    expect([1, 4, 100, 150, 200, 4_000].map(workerSqlPoolSize)).toEqual([2, 2, 2, 3, 4, 4]);
    expect(jobBatching(1)).toEqual({});
    expect(jobBatching(200)).toEqual({ localQueue: { size: 32 } });
  });

  it('runs operations with WORKER_CONCURRENCY=1', async () => {
    const worker = await startWorker(configWith({ concurrency: 1 }), silent);
    try {
      const created = await Promise.all([1, 2, 3].map((n) => requestCreate(services, 'default', { name: `single-${n}`, provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', image: 'debian-12' }, null)));
      const ids = created.map((operation) => operation.id);
      await waitFor(async () => (await statuses(ids)).every((status) => status === 'SUCCEEDED'), { timeoutMs: 30_000, description: 'three creates on one job slot' });
    } finally {
      await worker.stop();
    }
  });

  it('finishes every healthy create when the queue outlasts the leases (short leases, two slots)', async () => {
    // WORKER_LEASE_SECONDS=1 WORKER_QUEUED_LEASE_SECONDS=2 WORKER_MAX_REDRIVES=2, two slots, creates
    // of about a second each: most operations wait in the queue far longer than any lease.
    const config = configWith({ concurrency: 2, leaseSeconds: 1, queuedLeaseSeconds: 2, maxRedrives: 2, sweepIntervalMs: 100 }, { min: 900, max: 1_000 });
    const worker = await startWorker(config, silent);
    try {
      const created = [];
      for (let n = 0; n < 16; n += 1) {
        created.push(await requestCreate({ ...services, config }, 'default', { name: `backlog-${n}`, provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', image: 'debian-12' }, null));
      }
      const ids = created.map((operation) => operation.id);
      await waitFor(async () => (await statuses(ids)).every((status) => status !== 'QUEUED' && status !== 'RUNNING'), { timeoutMs: 120_000, description: 'the backlog to drain' });
      const rows = await db.select().from(operations).where(inArray(operations.id, ids));
      expect(rows.filter((row) => row.status !== 'SUCCEEDED').map((row) => `${row.status}: ${row.errorMessage}`)).toEqual([]);
      expect(rows.every((row) => row.redriveCount === 0)).toBe(true);
    } finally {
      await worker.stop();
    }
  });
});
