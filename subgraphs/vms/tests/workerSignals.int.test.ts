import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, type Sql } from '@novacron/db';
import { postgresEventChannel } from '@novacron/events';
import { injectFault } from '@novacron/providers';
import { createLogger } from '@novacron/server-kit';
import { createTestDatabase, waitFor, type TestDatabase } from '@novacron/testing';
import type { VmsConfig } from '../src/config.ts';
import type { VmsServices } from '../src/context.ts';
import { migrateVms } from '../src/db/migrateVms.ts';
import { requestCreate } from '../src/domain/requestOperation.ts';
import { deferredEventSignals } from '../src/worker/createEventSignaller.ts';
import { startWorker } from '../src/worker/startWorker.ts';
import { testConfig } from './support/testConfig.ts';
import { testServices } from './support/testServices.ts';

// The worker's pool defers the event triggers' NOTIFY and signals the streams itself, once per
// interval: a reader woken only by signals (no polling) must still hear of every event it commits.
let database: TestDatabase;
let sql: Sql;
let listener: Sql;
let services: VmsServices;
let keysDir: string;
const silent = createLogger('test', 'silent');

/** What a reader woken by each signal has seen: the newest event of each stream, read after the signal arrived. */
const seen = { signals: 0, operation: 0, vm: 0 };

const newestEvents = async () => {
  const [row] = await sql<{ operation: string | null; vm: string | null }[]>`
    select (select max(seq) from vms.operation_events)::text as operation, (select max(seq) from vms.vm_events)::text as vm`;
  return { operation: Number(row?.operation ?? 0), vm: Number(row?.vm ?? 0) };
};

const operationStatus = async (id: string) => (await sql<{ status: string }[]>`select status from vms.operations where id = ${id}`)[0]?.status;

function configWith(latencyMs: { min: number; max: number }): VmsConfig {
  const base = testConfig(database.url);
  return { ...base, security: { ...base.security, keysDir }, simulated: { ...base.simulated, latencyMs }, worker: { ...base.worker, concurrency: 4, eventSignalIntervalMs: 10 } };
}

beforeAll(async () => {
  keysDir = await mkdtemp(join(tmpdir(), 'novacron-worker-signals-keys-'));
  database = await createTestDatabase();
  await migrateVms(database.url);
  sql = createSql(database.url, { max: 5 });
  services = testServices(sql, database.url);
  listener = createSql(database.url, { max: 1 });
  await listener.listen(postgresEventChannel, () => {
    seen.signals += 1;
    void newestEvents().then((newest) => {
      seen.operation = Math.max(seen.operation, newest.operation);
      seen.vm = Math.max(seen.vm, newest.vm);
    });
  });
});
afterAll(async () => {
  await listener?.end();
  await sql?.end();
  await rm(keysDir, { recursive: true, force: true });
  await database?.drop();
});

describe('event signals of the operation worker', () => {
  it('a connection that defers signals commits events without a NOTIFY; any other connection signals at commit', async () => {
    const accepted = await requestCreate(services, 'default', { name: 'deferred-1', provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', image: 'debian-12' }, null);
    await waitFor(async () => seen.operation >= (await newestEvents()).operation, { description: 'the create to be signalled' });
    const deferred = createSql(database.url, { max: 1, settings: deferredEventSignals });
    try {
      const before = seen.signals;
      // A version bump writes an operation event (the trigger), here without a signal...
      await deferred`update vms.operations set version = version + 1 where id = ${accepted.id}`;
      // ...and here with one. Signals arrive in commit order, so had the first signalled, its would come first.
      await sql`update vms.operations set version = version + 1 where id = ${accepted.id}`;
      await waitFor(() => seen.signals > before, { description: 'the signal of the second write' });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(seen.signals - before).toBe(1);
    } finally {
      await deferred.end();
    }
  });

  it('signals after its own writes: a reader woken only by signals sees the final event of a create that succeeds and of one that fails', async () => {
    const worker = await startWorker(configWith({ min: 200, max: 300 }), silent);
    try {
      const succeeding = await requestCreate(services, 'default', { name: 'signalled-ok', provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', image: 'debian-12' }, null);
      await waitFor(async () => (await operationStatus(succeeding.id)) === 'SUCCEEDED', { timeoutMs: 30_000, description: 'the create to succeed' });
      const afterSuccess = await newestEvents();
      await waitFor(() => seen.operation >= afterSuccess.operation && seen.vm >= afterSuccess.vm, { description: 'a signal after the success was committed' });

      await injectFault(sql, { provider: 'aws', action: 'create', kind: 'permanent', count: 1, region: 'eu-west-3' });
      const failing = await requestCreate(services, 'default', { name: 'signalled-failed', provider: 'aws', region: 'eu-west-3', instanceType: 't3.micro', image: 'debian-12' }, null);
      await waitFor(async () => (await operationStatus(failing.id)) === 'FAILED', { timeoutMs: 30_000, description: 'the create to fail' });
      const afterFailure = await newestEvents();
      await waitFor(() => seen.operation >= afterFailure.operation && seen.vm >= afterFailure.vm, { description: 'a signal after the failure was committed' });
    } finally {
      await worker.stop();
    }
  });
});
