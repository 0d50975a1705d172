import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelOperationDocument, CreateVmDocument, DeleteVmDocument, OperationDocument, VmDocument, waitForOperation } from '@novacron/sdk';
import { waitFor } from '@novacron/testing';
import { createVmInput, instancesOfVm, startPlatform, type Platform } from '../src/index.ts';

// No worker at first: operations stay QUEUED until a test starts one. The simulated cloud takes
// 1.5-2 s per transition, which leaves a wide window to cancel a running operation.
let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform({ workers: 0, simLatencyMs: '1500-2000' });
});
afterAll(async () => {
  await platform?.stop();
});

describe('queued operations', () => {
  it('refuses a second operation on a VM while one is unfinished, naming the unfinished one', async () => {
    const { createVM } = await platform.client.request(CreateVmDocument, { input: createVmInput() });
    const response = await platform.client.execute(DeleteVmDocument, { id: createVM.vm?.id ?? '' });
    expect(response.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(response.errors?.[0]?.extensions?.operationId).toBe(createVM.id);
  });

  it('cancels a queued create at once, leaves its VM DELETED, and no worker ever runs it', async () => {
    const { createVM } = await platform.client.request(CreateVmDocument, { input: createVmInput() });
    const { cancelOperation } = await platform.client.request(CancelOperationDocument, { id: createVM.id });
    expect(cancelOperation.status).toBe('CANCELLED');
    expect(cancelOperation.error?.code).toBe('CANCELLED');
    expect(cancelOperation.steps.every((step) => step.status === 'SKIPPED')).toBe(true);
    expect(cancelOperation.vm?.status).toBe('DELETED');

    // A worker that starts now runs the other queued create and leaves the cancelled one alone.
    const other = await platform.client.request(CreateVmDocument, { input: createVmInput() });
    await platform.addWorker();
    const done = await waitForOperation(platform.client, other.createVM.id, { intervalMs: 50 });
    expect(done.status).toBe('SUCCEEDED');
    const { operation } = await platform.client.request(OperationDocument, { id: createVM.id });
    expect(operation?.status).toBe('CANCELLED');
    expect(await instancesOfVm(platform.database.sql, { id: createVM.vm?.id ?? '', name: createVM.vm?.name ?? '' })).toEqual({ tagged: 0, named: 0 });
    const { vm } = await platform.client.request(VmDocument, { id: createVM.vm?.id ?? '' });
    expect(vm?.status).toBe('DELETED');
  });

  it('cancels a running create cooperatively and deletes the instance it had made', async () => {
    const { createVM } = await platform.client.request(CreateVmDocument, { input: createVmInput() });
    await waitFor(
      async () => {
        const { operation } = await platform.client.request(OperationDocument, { id: createVM.id });
        return operation?.steps.find((step) => step.name === 'wait-running')?.status === 'RUNNING';
      },
      { intervalMs: 20, description: 'the create to wait for its instance' },
    );
    const { cancelOperation } = await platform.client.request(CancelOperationDocument, { id: createVM.id });
    expect(cancelOperation.status).toBe('RUNNING');
    expect(cancelOperation.cancelRequested).toBe(true);
    const done = await waitForOperation(platform.client, createVM.id, { intervalMs: 50 });
    expect(done.status).toBe('CANCELLED');
    expect(done.vm?.status).toBe('DELETED');
    expect(done.steps.find((step) => step.name === 'finalize')?.message).toMatch(/deleted the half-made instance/);
    const [instance] = await platform.database.sql<{ state: string }[]>`select state from simcloud.instances where client_token = ${createVM.id}`;
    expect(['DELETING', 'DELETED']).toContain(instance?.state);
  });
});
