import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateVmDocument,
  DeleteVmDocument,
  ProvidersDocument,
  RebootVmDocument,
  ResizeVmDocument,
  StartVmDocument,
  StopVmDocument,
  VmDocument,
  VmOperationsDocument,
  waitForOperation,
} from '@novacron/sdk';
import { createVmInput, startPlatform, type Platform } from '../src/index.ts';

let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform();
});
afterAll(async () => {
  await platform?.stop();
});

describe('VM lifecycle through the gateway', () => {
  it('lists the providers, labelled as simulated, with regions and instance types', async () => {
    const { providers } = await platform.client.request(ProvidersDocument);
    expect(providers.map((provider) => provider.name).sort()).toEqual(['aws', 'azure', 'gcp']);
    for (const provider of providers) expect(provider.simulated).toBe(true);
    const aws = providers.find((provider) => provider.name === 'aws');
    expect(aws?.capabilities.resizeRequiresStop).toBe(true);
    const usEast = aws?.regions.find((region) => region.name === 'us-east-1');
    expect(usEast?.instanceTypes.find((type) => type.name === 'c6i.2xlarge')).toMatchObject({ vcpus: 8, memoryGib: 16 });
  });

  it('returns an operation handle at once and drives the VM to RUNNING', async () => {
    const input = createVmInput({ labels: { team: 'core' } });
    const { createVM } = await platform.client.request(CreateVmDocument, { input });
    expect(createVM.status).toBe('QUEUED');
    expect(createVM.kind).toBe('CREATE');
    expect(createVM.vm?.status).toBe('PENDING');
    const done = await waitForOperation(platform.client, createVM.id, { intervalMs: 50 });
    expect(done.status).toBe('SUCCEEDED');
    expect(done.progress).toBe(100);
    expect(done.steps.map((step) => [step.name, step.status])).toEqual([
      ['validate', 'SUCCEEDED'],
      ['provision', 'SUCCEEDED'],
      ['wait-running', 'SUCCEEDED'],
      ['finalize', 'SUCCEEDED'],
    ]);
    expect(done.vm).toMatchObject({ name: input.name, status: 'RUNNING', labels: { team: 'core' } });
    expect(done.vm?.providerId).toMatch(/^i-[0-9a-f]{17}$/);
    expect(done.vm?.privateIp).toMatch(/^10\./);
    expect(done.vm?.publicIp).toMatch(/^203\.0\.113\./);
    expect(done.startedAt).not.toBeNull();
    expect(done.finishedAt).not.toBeNull();
  });

  it('stops, resizes, starts, reboots and deletes a VM, bumping its version on every change', async () => {
    const { client } = platform;
    const created = await client.request(CreateVmDocument, { input: createVmInput() });
    const vmId = created.createVM.vm?.id ?? '';
    await waitForOperation(client, created.createVM.id, { intervalMs: 50 });
    let lastVersion = (await client.request(VmDocument, { id: vmId })).vm?.version ?? 0;

    const steps: [string, () => Promise<string>, string, Record<string, unknown>?][] = [
      ['stop', async () => (await client.request(StopVmDocument, { id: vmId })).stopVM.id, 'STOPPED', { publicIp: null }],
      ['resize', async () => (await client.request(ResizeVmDocument, { id: vmId, instanceType: 't3.large' })).resizeVM.id, 'STOPPED', { instanceType: 't3.large' }],
      ['start', async () => (await client.request(StartVmDocument, { id: vmId })).startVM.id, 'RUNNING'],
      ['reboot', async () => (await client.request(RebootVmDocument, { id: vmId })).rebootVM.id, 'RUNNING'],
      ['delete', async () => (await client.request(DeleteVmDocument, { id: vmId })).deleteVM.id, 'DELETED'],
    ];
    for (const [name, act, expectedStatus, expectedFields] of steps) {
      const operationId = await act();
      const done = await waitForOperation(client, operationId, { intervalMs: 50 });
      expect(done.status, `${name} operation`).toBe('SUCCEEDED');
      const { vm } = await client.request(VmDocument, { id: vmId });
      expect(vm?.status, `status after ${name}`).toBe(expectedStatus);
      if (expectedFields) expect(vm).toMatchObject(expectedFields);
      expect(vm?.version, `version after ${name}`).toBeGreaterThan(lastVersion);
      lastVersion = vm?.version ?? 0;
    }
    const history = await client.request(VmOperationsDocument, { id: vmId, first: 10 });
    expect(history.vm?.operations.edges.map((edge) => edge.node.kind)).toEqual(['CREATE', 'STOP', 'RESIZE', 'START', 'REBOOT', 'DELETE']);
    expect(history.vm?.operations.totalCount).toBe(6);
  });

  it('resizes a running VM in place on a provider that allows it (azure)', async () => {
    const { client } = platform;
    const created = await client.request(CreateVmDocument, {
      input: createVmInput({ provider: 'azure', region: 'eastus', instanceType: 'Standard_B2s' }),
    });
    await waitForOperation(client, created.createVM.id, { intervalMs: 50 });
    const vmId = created.createVM.vm?.id ?? '';
    const resized = await client.request(ResizeVmDocument, { id: vmId, instanceType: 'Standard_D2s_v5' });
    const done = await waitForOperation(client, resized.resizeVM.id, { intervalMs: 50 });
    expect(done.status).toBe('SUCCEEDED');
    expect(done.vm).toMatchObject({ status: 'RUNNING', instanceType: 'Standard_D2s_v5' });
  });

  it('has workers that answer /health and /ready', async () => {
    const worker = platform.workers[0];
    expect(worker?.healthUrl).toMatch(/^http:/);
    expect((await fetch(worker?.healthUrl ?? '')).status).toBe(200);
    expect((await fetch(new URL('/ready', worker?.healthUrl))).status).toBe(200);
  });
});
