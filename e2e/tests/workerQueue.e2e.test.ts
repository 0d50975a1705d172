import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateVmDocument, waitForOperation } from '@novacron/sdk';
import { createVmInput, instancesOfVm, spawnWorker, startPlatform, type Platform } from '../src/index.ts';

// The reproduction, scaled down: short leases and a queue much longer than any lease, with
// two job slots; every healthy create must succeed. Worker processes are real, as in production.
let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform({
    workers: 1,
    simLatencyMs: '900-1100',
    workerEnv: { WORKER_CONCURRENCY: '2', WORKER_LEASE_SECONDS: '1', WORKER_QUEUED_LEASE_SECONDS: '2', WORKER_MAX_REDRIVES: '2', WORKER_SWEEP_INTERVAL_MS: '200' },
  });
});
afterAll(async () => {
  await platform?.stop();
});

describe('operation queue through worker processes', () => {
  it('finishes every healthy create when the queue outlasts the leases', async () => {
    const created = [];
    for (let index = 0; index < 12; index += 1) created.push((await platform.client.request(CreateVmDocument, { input: createVmInput() })).createVM);
    const done = await Promise.all(created.map((operation) => waitForOperation(platform.client, operation.id, { intervalMs: 200, timeoutMs: 120_000 })));
    expect(done.filter((operation) => operation.status !== 'SUCCEEDED').map((operation) => `${operation.status}: ${operation.error?.message}`)).toEqual([]);
    for (const operation of done) expect(await instancesOfVm(platform.database.sql, { id: operation.vm?.id ?? '', name: operation.vm?.name ?? '' })).toEqual({ tagged: 1, named: 1 });
  });

  it('runs operations on a worker with WORKER_CONCURRENCY=1', async () => {
    await Promise.all(platform.workers.splice(0).map((worker) => worker.stop()));
    const single = await spawnWorker({ ...platform.workerEnv, WORKER_CONCURRENCY: '1' });
    platform.workers.push(single);
    const { createVM } = await platform.client.request(CreateVmDocument, { input: createVmInput() });
    const done = await waitForOperation(platform.client, createVM.id, { intervalMs: 100, timeoutMs: 60_000 });
    expect(done.status).toBe('SUCCEEDED');
  });
});
