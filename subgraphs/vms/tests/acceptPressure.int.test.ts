import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, type Sql } from '@novacron/db';
import { createLogger } from '@novacron/server-kit';
import { createTestDatabase, waitFor, type TestDatabase } from '@novacron/testing';
import { migrateVms } from '../src/db/migrateVms.ts';
import { requestCreate } from '../src/domain/requestOperation.ts';
import { startWorker } from '../src/worker/startWorker.ts';
import { testConfig } from './support/testConfig.ts';
import { testServices } from './support/testServices.ts';
import { createAcceptPressureSignal } from '../src/domain/signalAcceptPressure.ts';
import { createMutationAdmission } from '../src/domain/createMutationAdmission.ts';
import { startYieldingToAccepting } from '../src/worker/yieldToAccepting.ts';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

// The subgraph's signal and the worker's gate on a real Postgres: the NOTIFY crosses two connections,
// as it crosses processes in production.
describe('accept pressure: the subgraph tells the workers, the workers yield', () => {
  let database: TestDatabase;
  let subgraphSql: Sql;
  let workerSql: Sql;

  beforeAll(async () => {
    database = await createTestDatabase();
    await migrateVms(database.url);
    subgraphSql = createSql(database.url, { max: 1 });
    workerSql = createSql(database.url, { max: 2 });
  });
  afterAll(async () => {
    await subgraphSql?.end();
    await workerSql?.end();
    await database?.drop();
  });

  it('holds new operations while accepting is slow, runs them once running ones leave room, and never drops one', async () => {
    const changes: boolean[] = [];
    const gate = await startYieldingToAccepting(workerSql, { concurrency: 1, holdMs: 60_000, onChange: (on) => changes.push(on) });
    try {
      const signal = createAcceptPressureSignal(subgraphSql, { targetMs: 20, windowMs: 0, minSamples: 1 });
      // Fast mutations: no pressure, nothing is held.
      signal.record(5);
      expect(signal.signalled).toBe(0);
      const runningFirst = deferred();
      const first = gate.gate(() => runningFirst.promise.then(() => 'first'));
      expect(gate.stats()).toMatchObject({ yielding: false, running: 1, waiting: 0 });

      // A slow mutation: the subgraph signals, the worker hears it over Postgres and yields.
      signal.record(80);
      expect(signal.signalled).toBe(1);
      await expect.poll(() => gate.stats().yielding).toBe(true);
      expect(changes).toEqual([true]);
      let secondRan = false;
      const second = gate.gate(async () => {
        secondRan = true;
        return 'second';
      });
      await expect.poll(() => gate.stats()).toMatchObject({ running: 1, waiting: 1 });
      expect(secondRan).toBe(false);

      // The running operation finishes: the held one takes its place, within the lower concurrency.
      runningFirst.resolve();
      expect(await first).toBe('first');
      expect(await second).toBe('second');
      expect(gate.stats()).toMatchObject({ yielding: true, running: 0, waiting: 0 });
    } finally {
      await gate.stop();
    }
  });

  it('lets every held operation run when the worker stops', async () => {
    const gate = await startYieldingToAccepting(workerSql, { concurrency: 1, holdMs: 60_000 });
    const signal = createAcceptPressureSignal(subgraphSql, { targetMs: 1, windowMs: 0, minSamples: 1 });
    const runningFirst = deferred();
    const first = gate.gate(() => runningFirst.promise);
    signal.record(50);
    await expect.poll(() => gate.stats().yielding).toBe(true);
    const held = Array.from({ length: 3 }, (_, index) => gate.gate(async () => index));
    await expect.poll(() => gate.stats().waiting).toBe(3);
    await gate.stop();
    expect(await Promise.all(held)).toEqual([0, 1, 2]);
    runningFirst.resolve();
    await first;
    expect(gate.stats()).toMatchObject({ yielding: false, running: 0, waiting: 0 });
  });

  it('feeds the latency of every admitted mutation, failed ones included, to the signal', async () => {
    const latencies: number[] = [];
    const admission = createMutationAdmission({ maxConcurrent: 1, maxQueued: 1, maxQueueMs: 10_000, retryAfterSeconds: 1, onFinished: (ms) => latencies.push(ms) });
    await admission.run(() => new Promise((resolve) => setTimeout(resolve, 20)));
    await admission.run(() => Promise.reject(new Error('refused by the domain'))).catch(() => undefined);
    expect(latencies).toHaveLength(2);
    expect(latencies[0]).toBeGreaterThanOrEqual(15);
  });

  it('a real worker told to yield runs its operations one at a time, and finishes every one exactly once', async () => {
    const keysDir = await mkdtemp(join(tmpdir(), 'novacron-yield-keys-'));
    const base = testConfig(database.url);
    const config = {
      ...base,
      security: { ...base.security, keysDir },
      simulated: { ...base.simulated, latencyMs: { min: 100, max: 150 } },
      acceptPressure: { targetMs: 1, workerConcurrency: 1, holdMs: 60_000 },
    };
    const worker = await startWorker(config, createLogger('test', 'silent'));
    const services = testServices(workerSql, database.url);
    try {
      // The subgraph's side: one slow mutation, so the worker yields for the rest of the test.
      const signal = createAcceptPressureSignal(subgraphSql, { targetMs: 1, windowMs: 0, minSamples: 1 });
      signal.record(100);
      await expect.poll(() => worker.yielding?.().yielding).toBe(true);
      const created = await Promise.all(
        Array.from({ length: 6 }, (_, n) => requestCreate(services, 'default', { name: `yield-${n}`, provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', image: 'debian-12' }, null)),
      );
      const ids = created.map((operation) => operation.id);
      let mostRunning = 0;
      await waitFor(
        async () => {
          const rows = await subgraphSql<{ status: string }[]>`select status from vms.operations where id = any(${ids}::uuid[])`;
          mostRunning = Math.max(mostRunning, rows.filter((row) => row.status === 'RUNNING').length);
          return rows.every((row) => row.status === 'SUCCEEDED');
        },
        { timeoutMs: 60_000, intervalMs: 20, description: 'six creates through a yielding worker' },
      );
      // Four job slots, but never more than one operation at a time while yielding.
      expect(mostRunning).toBeLessThanOrEqual(1);
      expect(worker.yielding?.()).toMatchObject({ yielding: true, running: 0, waiting: 0 });
      const [counts] = await subgraphSql<{ vms: number; instances: number }[]>`
        select (select count(*)::int from vms.vms where name like 'yield-%' and status = 'RUNNING') as vms,
               (select count(distinct provider_id)::int from vms.vms where name like 'yield-%') as instances`;
      expect(counts).toEqual({ vms: 6, instances: 6 });
    } finally {
      await worker.stop();
      await rm(keysDir, { recursive: true, force: true });
    }
  });
});
