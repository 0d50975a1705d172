import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, type Sql } from '@novacron/db';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
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
});
