import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCloudEmulators, type CloudEmulatorsDescriptor, type RunningCloudEmulators } from '@novacron/cloud-emulators';
import {
  CreateVmDocument,
  DeleteVmDocument,
  ProvidersDocument,
  RebootVmDocument,
  ResizeVmDocument,
  StartVmDocument,
  StopVmDocument,
  VmDocument,
  waitForOperation,
  type NovaCronClient,
} from '@novacron/sdk';
import { ReconcileProviderDocument, SetProviderCredentialsDocument, startPlatform, type Platform } from '../src/index.ts';

type Cloud = 'aws' | 'azure' | 'gcp';

/** The emulators' credentials with every secret replaced: what the platform's default drivers get, so only stored credentials work. */
function withWrongSecrets(descriptor: CloudEmulatorsDescriptor): CloudEmulatorsDescriptor {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const serviceAccount = { ...(JSON.parse(descriptor.gcp.credentials.serviceAccountJson) as Record<string, string>), private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
  return {
    aws: { ...descriptor.aws, credentials: { ...descriptor.aws.credentials, secretAccessKey: randomBytes(30).toString('base64url') } },
    azure: { ...descriptor.azure, credentials: { ...descriptor.azure.credentials, clientSecret: randomBytes(24).toString('base64url') } },
    gcp: { ...descriptor.gcp, credentials: { ...descriptor.gcp.credentials, serviceAccountJson: JSON.stringify(serviceAccount) } },
  };
}

let clouds: RunningCloudEmulators;
let platform: Platform;
beforeAll(async () => {
  clouds = await startCloudEmulators({ latencyMs: 150 });
  // What `NOVACRON_CLOUDS=emulated npm start` hands every subgraph and worker (scripts/start.ts).
  const cloudEnv = { NOVACRON_CLOUDS: 'emulated', NOVACRON_CLOUD_EMULATORS: JSON.stringify(withWrongSecrets(clouds.descriptor)) };
  platform = await startPlatform({ workerEnv: cloudEnv });
  const stored: Record<Cloud, Record<string, string>> = {
    aws: clouds.descriptor.aws.credentials,
    azure: clouds.descriptor.azure.credentials,
    gcp: clouds.descriptor.gcp.credentials,
  };
  for (const provider of ['aws', 'azure', 'gcp'] as const) {
    await platform.client.request(SetProviderCredentialsDocument, { input: { provider, credentials: stored[provider] } });
  }
});
afterAll(async () => {
  await platform?.stop();
  await clouds?.close();
});

/** The state the cloud itself holds for a VM's instances (every instance tagged with the VM's id). */
function instancesAtCloud(provider: Cloud, vmId: string): string[] {
  switch (provider) {
    case 'aws':
      return clouds.ec2.instances().filter((instance) => instance.tags['novacron:vm-id'] === vmId && instance.state !== 'terminated').map((instance) => `${instance.state}:${instance.instanceType}`);
    case 'azure':
      return clouds.azure
        .resources('Microsoft.Compute/virtualMachines')
        .filter((vm) => vm.tags['novacron:vm-id'] === vmId)
        .map((vm) => `${vm.power}:${(vm.properties.hardwareProfile as { vmSize: string }).vmSize}`);
    case 'gcp':
      return clouds.gce.instances().filter((instance) => instance.labels['novacron-vm-id'] === vmId).map((instance) => `${instance.state}:${instance.machineType}`);
  }
}

const stateNames: Record<Cloud, { running: string; stopped: string }> = {
  aws: { running: 'running', stopped: 'stopped' },
  // Stop is deallocate on Azure: a stopped-but-allocated VM is still billed.
  azure: { running: 'running', stopped: 'deallocated' },
  gcp: { running: 'RUNNING', stopped: 'TERMINATED' },
};

async function done(client: NovaCronClient, id: string) {
  const operation = await waitForOperation(client, id, { intervalMs: 100, timeoutMs: 60_000 });
  expect(operation.error).toBeNull();
  expect(operation.status).toBe('SUCCEEDED');
  return operation;
}

async function specFor(provider: Cloud) {
  const { providers } = await platform.client.request(ProvidersDocument);
  const description = providers.find((candidate) => candidate.name === provider)!;
  expect(description.simulated).toBe(false);
  const region = description.regions.find((candidate) => candidate.instanceTypes.length >= 2)!;
  return { region: region.name, instanceType: region.instanceTypes[0]!.name, bigger: region.instanceTypes[1]!.name, image: description.capabilities.images[0]! };
}

describe.each(['aws', 'azure', 'gcp'] as const)('the real %s driver through the gateway against its emulator', (provider) => {
  it('creates, stops, resizes while stopped, starts, reboots and deletes, with exactly one instance in the cloud throughout', async () => {
    const { client } = platform;
    const spec = await specFor(provider);
    const names = stateNames[provider];
    const { createVM } = await client.request(CreateVmDocument, { input: { name: `e2e-${provider}-${randomBytes(3).toString('hex')}`, provider, region: spec.region, instanceType: spec.instanceType, image: spec.image } });
    const created = await done(client, createVM.id);
    const vmId = created.vm!.id;
    expect(created.vm).toMatchObject({ status: 'RUNNING', providerId: expect.any(String) });
    expect(instancesAtCloud(provider, vmId)).toEqual([`${names.running}:${spec.instanceType}`]);

    await done(client, (await client.request(StopVmDocument, { id: vmId })).stopVM.id);
    expect(instancesAtCloud(provider, vmId)).toEqual([`${names.stopped}:${spec.instanceType}`]);

    await done(client, (await client.request(ResizeVmDocument, { id: vmId, instanceType: spec.bigger })).resizeVM.id);
    expect(instancesAtCloud(provider, vmId)).toEqual([`${names.stopped}:${spec.bigger}`]);
    expect((await client.request(VmDocument, { id: vmId })).vm).toMatchObject({ status: 'STOPPED', instanceType: spec.bigger });

    await done(client, (await client.request(StartVmDocument, { id: vmId })).startVM.id);
    expect(instancesAtCloud(provider, vmId)).toEqual([`${names.running}:${spec.bigger}`]);

    await done(client, (await client.request(RebootVmDocument, { id: vmId })).rebootVM.id);
    expect(instancesAtCloud(provider, vmId)).toEqual([`${names.running}:${spec.bigger}`]);
    expect((await client.request(VmDocument, { id: vmId })).vm?.status).toBe('RUNNING');

    await done(client, (await client.request(DeleteVmDocument, { id: vmId })).deleteVM.id);
    expect(instancesAtCloud(provider, vmId)).toEqual([]);
    expect((await client.request(VmDocument, { id: vmId })).vm?.status).toBe('DELETED');
  });

  it('fails a create the cloud has no capacity for with PROVIDER_CAPACITY and the cloud’s own code', async () => {
    const spec = await specFor(provider);
    const action = { aws: 'RunInstances', azure: 'virtualMachines.createOrUpdate', gcp: 'instances.insert' }[provider];
    const emulator = { aws: clouds.ec2, azure: clouds.azure, gcp: clouds.gce }[provider];
    // More than the SDKs' own retries of a 5xx, so the error reaches the driver.
    emulator.faults.inject({ action, kind: 'capacity', count: 10 });
    try {
      const { createVM } = await platform.client.request(CreateVmDocument, { input: { name: `full-${provider}-${randomBytes(3).toString('hex')}`, provider, region: spec.region, instanceType: spec.instanceType, image: spec.image } });
      const failed = await waitForOperation(platform.client, createVM.id, { intervalMs: 100, timeoutMs: 60_000 });
      expect(failed.status).toBe('FAILED');
      expect(failed.error?.code).toBe('PROVIDER_CAPACITY');
      expect(failed.error?.providerCode).toMatch(/InsufficientInstanceCapacity|AllocationFailed|SkuNotAvailable|ZONE_RESOURCE_POOL_EXHAUSTED/);
      expect(failed.vm?.status).toBe('ERROR');
      expect(instancesAtCloud(provider, failed.vm!.id)).toEqual([]);
    } finally {
      emulator.faults.clear();
    }
  });

  it('gives a VM stopped outside NovaCron its real state on reconcileProvider', async () => {
    const { client } = platform;
    const spec = await specFor(provider);
    const { createVM } = await client.request(CreateVmDocument, { input: { name: `drift-${provider}-${randomBytes(3).toString('hex')}`, provider, region: spec.region, instanceType: spec.instanceType, image: spec.image } });
    const vm = (await done(client, createVM.id)).vm!;
    const name = vm.providerId!.slice(vm.providerId!.lastIndexOf('/') + 1);
    if (provider === 'aws') clouds.ec2.alter(name, { state: 'stopped' });
    if (provider === 'azure') clouds.azure.alter(name, { power: 'deallocated' });
    if (provider === 'gcp') clouds.gce.alter(name, { status: 'TERMINATED' });
    const { reconcileProvider } = await client.request(ReconcileProviderDocument, { provider });
    expect(reconcileProvider.drifted).toEqual([vm.id]);
    expect((await client.request(VmDocument, { id: vm.id })).vm?.status).toBe('STOPPED');
  });
});

describe('credentials', () => {
  it('reach each SDK from the encrypted store: the emulators saw only the stored identities', () => {
    expect(clouds.ec2.signers()).toEqual([clouds.descriptor.aws.credentials.accessKeyId]);
    expect(clouds.azure.callers()).toEqual([clouds.descriptor.azure.credentials.clientId]);
    expect(clouds.gce.callers()).toEqual([(JSON.parse(clouds.descriptor.gcp.credentials.serviceAccountJson) as { client_email: string }).client_email]);
  });

  it('fail a tenant without stored credentials with PROVIDER_AUTH: the default credentials are wrong, and the emulator refuses their signature', async () => {
    const other = await platform.clientFor({ tenant: `nocreds-${randomBytes(3).toString('hex')}`, role: 'admin' });
    const spec = await specFor('aws');
    const { createVM } = await other.request(CreateVmDocument, { input: { name: 'refused', provider: 'aws', region: spec.region, instanceType: spec.instanceType, image: spec.image } });
    const failed = await waitForOperation(other, createVM.id, { intervalMs: 100, timeoutMs: 60_000 });
    expect(failed.status).toBe('FAILED');
    expect(failed.error?.code).toBe('PROVIDER_AUTH');
  });
});
