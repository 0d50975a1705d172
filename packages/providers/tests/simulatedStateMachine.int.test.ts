import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createSql } from '@novacron/db';
import { waitFor } from '@novacron/testing';
import { createSimulatedDriver, type ProviderDriver, type ProviderInstance, type ProviderInstanceState } from '../src/index.ts';
import { instanceRequest } from './support/instanceRequest.ts';
import { useSimulatedCloud } from './support/useSimulatedCloud.ts';

const cloud = useSimulatedCloud();
const instant = { min: 0, max: 0 };
const slow = { min: 50, max: 100 };

function driver(provider: 'aws' | 'azure' | 'gcp', latencyMs = instant): ProviderDriver {
  return createSimulatedDriver({ provider, sql: cloud.db.sql, latencyMs, capacityPerRegion: 1000 });
}

async function settledAs(aws: ProviderDriver, providerId: string, state: ProviderInstanceState): Promise<ProviderInstance> {
  return waitFor(async () => {
    const instance = await aws.get(providerId);
    return instance?.state === state ? instance : undefined;
  }, { description: `${providerId} to become ${state}` });
}

const privateAddress = /^10\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const publicAddress = /^203\.0\.113\.\d{1,3}$/;

describe('simulated provider state machine with zero latency', () => {
  it('creates an instance that is RUNNING at once, with a private 10.x and a public TEST-NET-3 address', async () => {
    const aws = driver('aws');
    const request = instanceRequest({ name: 'api', instanceType: 'c6i.2xlarge' });
    const instance = await aws.create(request);
    expect(instance).toMatchObject({ name: 'api', region: 'us-east-1', instanceType: 'c6i.2xlarge', image: 'ubuntu-24.04', state: 'RUNNING', clientToken: request.clientToken, settlesAt: null });
    expect(instance.privateIp).toMatch(privateAddress);
    expect(instance.publicIp).toMatch(publicAddress);
    expect(await aws.get(instance.providerId)).toEqual(instance);
  });

  it('stops, starts, reboots, resizes and deletes, settling each action before returning', async () => {
    const aws = driver('aws');
    const created = await aws.create(instanceRequest());
    const stopped = await aws.stop(created.providerId);
    expect(stopped).toMatchObject({ state: 'STOPPED', publicIp: null, privateIp: created.privateIp });
    const resized = await aws.resize(created.providerId, 'm6i.large');
    expect(resized).toMatchObject({ state: 'STOPPED', instanceType: 'm6i.large' });
    const started = await aws.start(created.providerId);
    expect(started).toMatchObject({ state: 'RUNNING', privateIp: created.privateIp });
    expect(started.publicIp).toMatch(publicAddress);
    expect(await aws.reboot(created.providerId)).toMatchObject({ state: 'RUNNING', publicIp: started.publicIp });
    expect(await aws.delete(created.providerId)).toMatchObject({ state: 'DELETED', privateIp: null, publicIp: null });
    expect(await aws.get(created.providerId)).toMatchObject({ state: 'DELETED' });
  });

  it('lists live instances of its own provider only, optionally by region', async () => {
    const gcp = driver('gcp');
    const kept = await gcp.create(instanceRequest({ region: 'asia-southeast1', instanceType: 't2a-standard-1' }));
    const other = await gcp.create(instanceRequest({ region: 'europe-west4', instanceType: 't2a-standard-1' }));
    const gone = await gcp.create(instanceRequest({ region: 'asia-southeast1', instanceType: 't2a-standard-2' }));
    await gcp.delete(gone.providerId);
    expect((await gcp.list({ region: 'asia-southeast1' })).map((instance) => instance.providerId)).toEqual([kept.providerId]);
    const everywhere = (await gcp.list()).map((instance) => instance.providerId);
    expect(everywhere).toEqual(expect.arrayContaining([kept.providerId, other.providerId]));
    expect(everywhere).not.toContain(gone.providerId);
    expect(await driver('aws').list({ region: 'asia-southeast1' })).toEqual([]);
  });

  it('does not show one cloud the instances of another', async () => {
    const gcpInstance = await driver('gcp').create(instanceRequest({ region: 'us-central1', instanceType: 'e2-standard-2' }));
    expect(await driver('aws').get(gcpInstance.providerId)).toBeNull();
    await expect(driver('aws').stop(gcpInstance.providerId)).rejects.toMatchObject({ providerCode: 'InvalidInstanceID.NotFound' });
  });

  it('gives each cloud provider ids in that cloud’s format', async () => {
    const aws = await driver('aws').create(instanceRequest());
    const azure = await driver('azure').create(instanceRequest({ name: 'db primary', region: 'eastus', instanceType: 'Standard_B2s' }));
    const gcp = await driver('gcp').create(instanceRequest({ region: 'us-central1', instanceType: 'e2-standard-2' }));
    expect(aws.providerId).toMatch(/^i-[0-9a-f]{17}$/);
    expect(azure.providerId).toMatch(
      /^\/subscriptions\/00000000-0000-0000-0000-000000000000\/resourceGroups\/novacron-sim\/providers\/Microsoft\.Compute\/virtualMachines\/db-primary-[0-9a-f]{6}$/,
    );
    expect(gcp.providerId).toMatch(/^[1-9]\d{18}$/);
  });
});

describe('simulated provider state machine with latency', () => {
  it('passes through every transitional state and settles it when read after settlesAt', async () => {
    const aws = driver('aws', slow);
    const created = await aws.create(instanceRequest({ region: 'eu-west-2' }));
    expect(created).toMatchObject({ state: 'PENDING', privateIp: null, publicIp: null });
    expect(created.settlesAt).toBeInstanceOf(Date);
    const running = await settledAs(aws, created.providerId, 'RUNNING');
    expect(running.settlesAt).toBeNull();
    expect(running.privateIp).toMatch(privateAddress);
    expect(running.publicIp).toMatch(publicAddress);

    expect(await aws.stop(created.providerId)).toMatchObject({ state: 'STOPPING', publicIp: running.publicIp });
    expect(await settledAs(aws, created.providerId, 'STOPPED')).toMatchObject({ publicIp: null, privateIp: running.privateIp });

    expect(await aws.resize(created.providerId, 'r6i.large')).toMatchObject({ state: 'RESIZING', instanceType: 'r6i.large' });
    expect(await settledAs(aws, created.providerId, 'STOPPED')).toMatchObject({ instanceType: 'r6i.large' });

    expect(await aws.start(created.providerId)).toMatchObject({ state: 'STARTING', publicIp: null });
    const restarted = await settledAs(aws, created.providerId, 'RUNNING');
    expect(restarted.publicIp).toMatch(publicAddress);

    expect(await aws.reboot(created.providerId)).toMatchObject({ state: 'REBOOTING' });
    await settledAs(aws, created.providerId, 'RUNNING');

    expect(await aws.delete(created.providerId)).toMatchObject({ state: 'DELETING' });
    expect(await settledAs(aws, created.providerId, 'DELETED')).toMatchObject({ privateIp: null, publicIp: null, settlesAt: null });
  });

  it('resizes a running azure instance in place and settles back to RUNNING', async () => {
    const azure = driver('azure', slow);
    const created = await azure.create(instanceRequest({ region: 'westus2', instanceType: 'Standard_D2s_v5' }));
    const running = await settledAs(azure, created.providerId, 'RUNNING');
    expect(await azure.resize(created.providerId, 'Standard_D4s_v5')).toMatchObject({ state: 'RESIZING', instanceType: 'Standard_D4s_v5' });
    expect(await settledAs(azure, created.providerId, 'RUNNING')).toMatchObject({ instanceType: 'Standard_D4s_v5', publicIp: running.publicIp });
  });

  it('lets an instance be deleted while it is still being created', async () => {
    const aws = driver('aws', slow);
    const created = await aws.create(instanceRequest({ region: 'eu-west-3' }));
    expect(await aws.delete(created.providerId)).toMatchObject({ state: 'DELETING' });
    await settledAs(aws, created.providerId, 'DELETED');
  });

  it('settles the state for a reader in another process, with no timer in the writer', async () => {
    const writer = driver('aws', slow);
    const created = await writer.create(instanceRequest({ region: 'eu-north-1' }));
    const otherPool = createSql(cloud.db.url, { max: 1, applicationName: 'other-process' });
    try {
      const reader = createSimulatedDriver({ provider: 'aws', sql: otherPool, latencyMs: instant, capacityPerRegion: 1 });
      const read = await settledAs(reader, created.providerId, 'RUNNING');
      // The read reported the due transition without writing it; the next action (or list) writes it, with the same addresses.
      const [before] = await cloud.db.sql`select state from simcloud.instances where provider_id = ${created.providerId}`;
      expect(before).toEqual({ state: 'PENDING' });
      await reader.list({ region: 'eu-north-1' });
      const [row] = await cloud.db.sql`select state, target_state, settles_at, private_ip, public_ip from simcloud.instances where provider_id = ${created.providerId}`;
      expect(row).toEqual({ state: 'RUNNING', target_state: null, settles_at: null, private_ip: read.privateIp, public_ip: read.publicIp });
      expect(await reader.get(created.providerId)).toEqual(read);
    } finally {
      await otherPool.end();
    }
  });

  it('keeps an instance created by a process that is SIGKILLed, and settles it afterwards', async () => {
    const clientToken = randomUUID();
    const child = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/createThenHang.ts', import.meta.url)), cloud.db.url, clientToken], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = once(child, 'exit');
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      const created = JSON.parse(line) as ProviderInstance;
      expect(created.state).toBe('PENDING');
      child.kill('SIGKILL');
      const [, signal] = await exited;
      expect(signal).toBe('SIGKILL');
      const aws = driver('aws');
      expect(await settledAs(aws, created.providerId, 'RUNNING')).toMatchObject({ clientToken });
      expect(await aws.findByClientToken(clientToken)).toMatchObject({ providerId: created.providerId });
      const rows = await cloud.db.sql`select 1 from simcloud.instances where client_token = ${clientToken}`;
      expect(rows).toHaveLength(1);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('simulated provider refusals', () => {
  it('refuses to stop a stopped instance with a permanent IncorrectInstanceState', async () => {
    const aws = driver('aws');
    const instance = await aws.create(instanceRequest());
    await aws.stop(instance.providerId);
    await expect(aws.stop(instance.providerId)).rejects.toMatchObject({ name: 'ProviderError', providerCode: 'IncorrectInstanceState', transient: false });
    expect(await aws.get(instance.providerId)).toMatchObject({ state: 'STOPPED' });
  });

  it('refuses to start or resize a running aws instance', async () => {
    const aws = driver('aws');
    const instance = await aws.create(instanceRequest());
    await expect(aws.start(instance.providerId)).rejects.toMatchObject({ providerCode: 'IncorrectInstanceState', transient: false });
    await expect(aws.resize(instance.providerId, 't3.large')).rejects.toMatchObject({
      providerCode: 'IncorrectInstanceState',
      message: expect.stringContaining("not in the 'stopped' state"),
    });
    expect(await aws.get(instance.providerId)).toMatchObject({ state: 'RUNNING', instanceType: 't3.micro' });
  });

  it('refuses to resize a running gcp instance with a gcp-style code', async () => {
    const gcp = driver('gcp');
    const instance = await gcp.create(instanceRequest({ region: 'us-east1', instanceType: 'n2-standard-2' }));
    await expect(gcp.resize(instance.providerId, 'n2-standard-4')).rejects.toMatchObject({ providerCode: 'FAILED_PRECONDITION', transient: false });
  });

  it('refuses a transition that is still in progress', async () => {
    const aws = driver('aws', { min: 60_000, max: 60_000 });
    const instance = await aws.create(instanceRequest({ region: 'ca-central-1' }));
    await expect(aws.stop(instance.providerId)).rejects.toMatchObject({ providerCode: 'IncorrectInstanceState', message: expect.stringContaining('PENDING') });
  });

  it('refuses every action on a deleted instance', async () => {
    const azure = driver('azure');
    const instance = await azure.create(instanceRequest({ region: 'eastus', instanceType: 'Standard_B2s' }));
    await azure.delete(instance.providerId);
    for (const act of [
      () => azure.start(instance.providerId),
      () => azure.stop(instance.providerId),
      () => azure.reboot(instance.providerId),
      () => azure.resize(instance.providerId, 'Standard_B2ms'),
      () => azure.delete(instance.providerId),
    ]) {
      await expect(act()).rejects.toMatchObject({ providerCode: 'OperationNotAllowed', transient: false });
    }
  });

  it('reports an unknown id as not found, and get returns null for it', async () => {
    const aws = driver('aws');
    await expect(aws.stop('i-00000000000000000')).rejects.toMatchObject({ providerCode: 'InvalidInstanceID.NotFound', transient: false });
    await expect(aws.resize('i-00000000000000000', 't3.large')).rejects.toMatchObject({ providerCode: 'InvalidInstanceID.NotFound' });
    await expect(driver('azure').delete('/subscriptions/x/vm')).rejects.toMatchObject({ providerCode: 'ResourceNotFound' });
    await expect(driver('gcp').reboot('1234567890123456789')).rejects.toMatchObject({ providerCode: 'NOT_FOUND' });
    expect(await aws.get('i-00000000000000000')).toBeNull();
  });

  it('refuses to resize to a type the region does not offer', async () => {
    const aws = driver('aws');
    const instance = await aws.create(instanceRequest({ region: 'ap-southeast-4' }));
    await aws.stop(instance.providerId);
    await expect(aws.resize(instance.providerId, 'c6i.large')).rejects.toMatchObject({ providerCode: 'InvalidParameterValue', transient: false });
    expect(await aws.get(instance.providerId)).toMatchObject({ state: 'STOPPED', instanceType: 't3.micro' });
  });

  it('refuses to create an instance the validation rejects, and creates nothing', async () => {
    const aws = driver('aws');
    const request = instanceRequest({ region: 'ap-southeast-3', instanceType: 'c6i.large', image: 'windows-95' });
    await expect(aws.create(request)).rejects.toMatchObject({
      providerCode: 'InvalidParameterValue',
      transient: false,
      message: expect.stringMatching(/instanceType: .*c6i\.large.*ap-southeast-3; image: /),
    });
    expect(await aws.findByClientToken(request.clientToken)).toBeNull();
  });
});
