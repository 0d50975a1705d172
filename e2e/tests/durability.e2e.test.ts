import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateVmDocument, OperationDocument, StopVmDocument, waitForOperation } from '@novacron/sdk';
import { clearFaults, injectFault } from '@novacron/providers';
import { scrapeMetrics, waitFor } from '@novacron/testing';
import { createVmInput, instancesOfVm, startPlatform, type Platform } from '../src/index.ts';

// Transitions take 0.6-1 s at the simulated cloud, so a worker can be killed in the middle of one.
let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform({ simLatencyMs: '600-1000' });
});
afterAll(async () => {
  await platform?.stop();
});

async function operationState(id: string) {
  const { operation } = await platform.client.request(OperationDocument, { id });
  if (!operation) throw new Error(`operation ${id} not found`);
  return operation;
}

/** A metric summed over the live workers' Prometheus scrapes. */
async function workersSum(name: string, labels: Record<string, string> = {}, workers = platform.workers): Promise<number> {
  const scrapes = await Promise.all(workers.map((worker) => scrapeMetrics(worker.metricsUrl)));
  return scrapes.reduce((sum, scrape) => sum + scrape.sum(name, labels), 0);
}

async function redriveCount(id: string): Promise<number> {
  const [row] = await platform.database.sql<{ redrive_count: number }[]>`select redrive_count from vms.operations where id = ${id}`;
  return row?.redrive_count ?? -1;
}

type KillPoint = [description: string, reached: (operationId: string) => Promise<boolean>];

const killPoints: KillPoint[] = [
  ['right after the mutation returns', async () => true],
  ['once a worker has claimed it', async (id) => (await operationState(id)).status === 'RUNNING'],
  [
    'while it waits for the instance to run',
    async (id) => (await operationState(id)).steps.find((step) => step.name === 'wait-running')?.status === 'RUNNING',
  ],
];

describe('durable operations', () => {
  it.each(killPoints)('finishes a create whose worker is SIGKILLed %s, with exactly one VM at the provider', async (_point, reached) => {
    const { createVM } = await platform.client.request(CreateVmDocument, { input: createVmInput() });
    await waitFor(() => reached(createVM.id), { intervalMs: 10, description: 'the kill point' });
    const victim = platform.workers.shift();
    await victim?.kill();
    await platform.addWorker();
    const done = await waitForOperation(platform.client, createVM.id, { intervalMs: 50, timeoutMs: 60_000 });
    expect(done.status).toBe('SUCCEEDED');
    expect(done.vm?.status).toBe('RUNNING');
    expect(await instancesOfVm(platform.database.sql, { id: done.vm?.id ?? '', name: done.vm?.name ?? '' })).toEqual({ tagged: 1, named: 1 });
  });

  it('re-drives an operation whose worker died holding its lease', async () => {
    const { createVM } = await platform.client.request(CreateVmDocument, { input: createVmInput() });
    await waitFor(async () => (await operationState(createVM.id)).status === 'RUNNING', { intervalMs: 10, description: 'a claim' });
    const redrivenBefore = await workersSum('novacron_operation_redrives_total', {}, platform.workers.slice(1));
    await platform.workers.shift()?.kill();
    await platform.addWorker();
    const done = await waitForOperation(platform.client, createVM.id, { intervalMs: 50, timeoutMs: 60_000 });
    expect(done.status).toBe('SUCCEEDED');
    expect(await redriveCount(createVM.id)).toBeGreaterThanOrEqual(1);
    // The sweeper that found the lapsed lease counted it (the killed worker's counts died with it).
    expect(await workersSum('novacron_operation_redrives_total')).toBeGreaterThan(redrivenBefore);
    expect(await workersSum('novacron_operation_lease_expiries_total', { outcome: 'redriven' })).toBeGreaterThan(redrivenBefore);
    expect(done.attempts).toBeGreaterThanOrEqual(2);
  });

  it('retries transient provider errors with backoff until the create succeeds', async () => {
    // The baseline before the create: a worker may meet the first fault before the create's answer arrives.
    const transientBefore = await workersSum('novacron_provider_api_errors_total', { provider: 'aws', call: 'create', transient: 'true' });
    await injectFault(platform.database.sql, { provider: 'aws', action: 'create', kind: 'transient', count: 2, region: 'eu-west-1' });
    const { createVM } = await platform.client.request(CreateVmDocument, { input: createVmInput({ region: 'eu-west-1' }) });
    const done = await waitForOperation(platform.client, createVM.id, { intervalMs: 50 });
    expect(done.status).toBe('SUCCEEDED');
    expect(done.attempts).toBe(3);
    expect(await workersSum('novacron_provider_api_errors_total', { provider: 'aws', call: 'create', transient: 'true' })).toBe(transientBefore + 2);
    expect(await instancesOfVm(platform.database.sql, { id: done.vm?.id ?? '', name: done.vm?.name ?? '' })).toEqual({ tagged: 1, named: 1 });
  });

  it('adopts the instance of a create whose response was lost instead of making a second one', async () => {
    await injectFault(platform.database.sql, { provider: 'aws', action: 'create', kind: 'lost_response', count: 1, region: 'eu-west-2' });
    const { createVM } = await platform.client.request(CreateVmDocument, { input: createVmInput({ region: 'eu-west-2' }) });
    const done = await waitForOperation(platform.client, createVM.id, { intervalMs: 50 });
    expect(done.status).toBe('SUCCEEDED');
    expect(done.attempts).toBe(2);
    expect(done.steps.find((step) => step.name === 'provision')?.message).toMatch(/^adopted existing instance/);
    expect(await instancesOfVm(platform.database.sql, { id: done.vm?.id ?? '', name: done.vm?.name ?? '' })).toEqual({ tagged: 1, named: 1 });
  });

  it('fails a create with the provider reason on a permanent error, leaving the VM in ERROR', async () => {
    await injectFault(platform.database.sql, {
      provider: 'aws',
      action: 'create',
      kind: 'permanent',
      count: 1,
      region: 'eu-west-3',
      message: 'We currently do not have sufficient t3.micro capacity in the zone you requested.',
    });
    const { createVM } = await platform.client.request(CreateVmDocument, { input: createVmInput({ region: 'eu-west-3' }) });
    const done = await waitForOperation(platform.client, createVM.id, { intervalMs: 50 });
    expect(done.status).toBe('FAILED');
    expect(done.error).toEqual({
      code: 'PROVIDER_CAPACITY',
      providerCode: 'InsufficientInstanceCapacity',
      message: 'We currently do not have sufficient t3.micro capacity in the zone you requested.',
    });
    expect(done.steps.find((step) => step.name === 'provision')?.status).toBe('FAILED');
    expect(done.vm?.status).toBe('ERROR');
    expect(await instancesOfVm(platform.database.sql, { id: done.vm?.id ?? '', name: done.vm?.name ?? '' })).toEqual({ tagged: 0, named: 0 });
  });

  it('fails once transient errors outlast the retry budget, with the provider code', async () => {
    const { createVM } = await platform.client.request(CreateVmDocument, { input: createVmInput({ region: 'ca-central-1' }) });
    await waitForOperation(platform.client, createVM.id, { intervalMs: 50 });
    await injectFault(platform.database.sql, { provider: 'aws', action: 'stop', kind: 'transient', count: 50, region: 'ca-central-1' });
    const { stopVM } = await platform.client.request(StopVmDocument, { id: createVM.vm?.id ?? '' });
    const done = await waitForOperation(platform.client, stopVM.id, { intervalMs: 50 });
    await clearFaults(platform.database.sql, 'aws');
    expect(done.status).toBe('FAILED');
    expect(done.error?.providerCode).toBe('RequestLimitExceeded');
    expect(done.attempts).toBe(5);
    // The stop never reached the provider, so the VM is still what the provider says: RUNNING.
    expect(done.vm?.status).toBe('RUNNING');
  });
});
