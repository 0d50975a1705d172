import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelOperationDocument, CreateVmDocument, OperationUpdatedDocument, StopVmDocument, VmEventsDocument, waitForOperation } from '@novacron/sdk';
import { injectFault } from '@novacron/providers';
import { waitFor } from '@novacron/testing';
import { collect, createVmInput, startPlatform, subscriptionsClient, type Platform } from '../src/index.ts';

let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform({ simLatencyMs: '100-200' });
});
afterAll(async () => {
  await platform?.stop();
});

const terminal = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

describe('operationUpdated', () => {
  it('delivers every progress change in order through SUCCEEDED, then completes', async () => {
    const client = subscriptionsClient(platform.gateway.url, { token: platform.token });
    const { createVM } = await platform.client.request(CreateVmDocument, { input: createVmInput() });
    const updates = collect(client, OperationUpdatedDocument, { id: createVM.id });
    await updates.completed;
    const statuses = updates.results.map((result) => result.data?.operationUpdated.status);
    expect(statuses.at(-1)).toBe('SUCCEEDED');
    const progress = updates.results.map((result) => result.data?.operationUpdated.progress ?? -1);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(100);
    // The steps finish one by one: each update knows at least as many finished steps as the one before.
    const finishedSteps = updates.results.map((result) => result.data?.operationUpdated.steps.filter((step) => step.status === 'SUCCEEDED').length ?? 0);
    expect(finishedSteps).toEqual([...finishedSteps].sort((a, b) => a - b));
    expect(updates.results.filter((result) => terminal.has(result.data?.operationUpdated.status ?? ''))).toHaveLength(1);
    await client.dispose();
  });

  it('ends with FAILED and the provider reason for a failing operation', async () => {
    await injectFault(platform.database.sql, { provider: 'aws', action: 'create', kind: 'permanent', count: 1, region: 'eu-north-1' });
    const client = subscriptionsClient(platform.gateway.url, { token: platform.token });
    const { createVM } = await platform.client.request(CreateVmDocument, { input: createVmInput({ region: 'eu-north-1' }) });
    const updates = collect(client, OperationUpdatedDocument, { id: createVM.id });
    await updates.completed;
    const last = updates.results.at(-1)?.data?.operationUpdated;
    expect(last?.status).toBe('FAILED');
    expect(last?.error?.providerCode).toBe('InsufficientInstanceCapacity');
    await client.dispose();
  });

  it('ends with CANCELLED for a cancelled operation', async () => {
    const client = subscriptionsClient(platform.gateway.url, { token: platform.token });
    const { createVM } = await platform.client.request(CreateVmDocument, { input: createVmInput({ region: 'ap-south-1' }) });
    await waitForOperation(platform.client, createVM.id, { intervalMs: 20 });
    // Throttling keeps the stop busy retrying, so the cancellation lands before it can finish.
    await injectFault(platform.database.sql, { provider: 'aws', action: 'stop', kind: 'transient', count: 3, region: 'ap-south-1' });
    const { stopVM } = await platform.client.request(StopVmDocument, { id: createVM.vm?.id ?? '' });
    const updates = collect(client, OperationUpdatedDocument, { id: stopVM.id });
    const { cancelOperation } = await platform.client.request(CancelOperationDocument, { id: stopVM.id });
    expect(cancelOperation.cancelRequested).toBe(true);
    await updates.completed;
    const last = updates.results.at(-1)?.data?.operationUpdated;
    expect(last?.status).toBe('CANCELLED');
    expect(last?.error?.code).toBe('CANCELLED');
    expect(updates.results.filter((result) => result.data?.operationUpdated.status === 'CANCELLED')).toHaveLength(1);
    await client.dispose();
  });

  it('yields the final state and completes for an operation that already finished', async () => {
    const { createVM } = await platform.client.request(CreateVmDocument, { input: createVmInput() });
    await waitForOperation(platform.client, createVM.id, { intervalMs: 20 });
    const client = subscriptionsClient(platform.gateway.url, { token: platform.token });
    const updates = collect(client, OperationUpdatedDocument, { id: createVM.id });
    await updates.completed;
    expect(updates.results).toHaveLength(1);
    expect(updates.results[0]?.data?.operationUpdated.status).toBe('SUCCEEDED');
    await client.dispose();
  });

  it('answers NOT_FOUND for an unknown operation', async () => {
    const client = subscriptionsClient(platform.gateway.url, { token: platform.token });
    const updates = collect(client, OperationUpdatedDocument, { id: '00000000-0000-4000-8000-000000000000' });
    const error = (await updates.error) as { extensions?: { code?: string } }[];
    expect(error[0]?.extensions?.code).toBe('NOT_FOUND');
    await client.dispose();
  });
});

describe('vmEvents', () => {
  it('delivers a VM\'s events in version order with type, VM, time and cursor', async () => {
    const client = subscriptionsClient(platform.gateway.url, { token: platform.token });
    const { createVM } = await platform.client.request(CreateVmDocument, { input: createVmInput() });
    const vmId = createVM.vm?.id ?? '';
    const events = collect(client, VmEventsDocument, { filter: { ids: [vmId] } });
    await waitFor(() => platform.gateway.subscriptions.engine.stats().subscribers > 0);
    await waitForOperation(platform.client, createVM.id, { intervalMs: 20 });
    await events.waitFor((results) => results.some((result) => result.data?.vmEvents.vm.status === 'RUNNING'));
    const versions = events.results.map((result) => result.data?.vmEvents.version ?? 0);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
    const last = events.results.at(-1)?.data?.vmEvents;
    expect(last).toMatchObject({ type: 'STATE_CHANGED', vm: { id: vmId, status: 'RUNNING' } });
    expect(last?.cursor).toEqual(expect.any(String));
    expect(Date.parse(last?.occurredAt ?? '')).toBeGreaterThan(0);
    events.stop();
    await client.dispose();
  });
});
