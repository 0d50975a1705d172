import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadCatalog } from '@novacron/catalog';
import { startEc2Emulator, type Ec2Emulator } from '@novacron/cloud-emulators';
import { createAwsDriver } from '../src/aws/createAwsDriver.ts';
import { ProviderError } from '../src/ProviderError.ts';
import type { ProviderDriver } from '../src/ProviderDriver.ts';

const catalog = loadCatalog();
const credentials = { accessKeyId: 'AKIAEMULATORTENANT1', secretAccessKey: 'tenant-one-secret' };
let emulator: Ec2Emulator;
let driver: ReturnType<typeof createAwsDriver>;

beforeAll(async () => {
  emulator = await startEc2Emulator({
    credentials: { [credentials.accessKeyId]: credentials.secretAccessKey },
    roles: { 'arn:aws:iam::123456789012:role/novacron': { externalId: 'acme-external-id' } },
    latencyMs: 40,
    capacityPerRegion: 3,
    instanceTypes: [...new Set(catalog.entries.filter((entry) => entry.provider === 'aws').map((entry) => entry.instanceType))],
  });
  driver = createAwsDriver({ credentials, endpoint: emulator.url, regions: ['us-east-1'], pollHintMs: 20, catalog });
});
afterAll(() => emulator?.close());
beforeEach(() => emulator.faults.clear());

const request = (clientToken: string, overrides: Partial<Parameters<ProviderDriver['create']>[0]> = {}) => ({
  clientToken,
  name: `vm-${clientToken.slice(0, 8)}`,
  region: 'us-east-1',
  instanceType: 'm6i.large',
  image: 'ubuntu-24.04',
  labels: { team: 'infra' },
  vmId: `vm-${clientToken}`,
  tenantId: 'acme',
  ...overrides,
});

async function settled(providerId: string, state: string) {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const instance = await driver.get(providerId);
    if (instance?.state === state) return instance;
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
  throw new Error(`instance ${providerId} never reached ${state}`);
}

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(() => null, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe('AWS driver against the EC2 emulator', () => {
  it('runs every lifecycle verb through the SDK, signed with the tenant key', async () => {
    const created = await driver.create(request('11111111-aaaa-4000-8000-000000000001'));
    expect(created.providerId).toMatch(/^arn:aws:ec2:us-east-1:123456789012:instance\/i-[0-9a-f]{17}$/);
    // The verbs answer with the state right after the call: transitional, or settled already when the machine is slow.
    expect(['PENDING', 'RUNNING']).toContain(created.state);
    expect(created.tags).toMatchObject({ 'managed-by': 'novacron', 'novacron:vm-id': 'vm-11111111-aaaa-4000-8000-000000000001', 'novacron:tenant': 'acme', team: 'infra' });
    const running = await settled(created.providerId, 'RUNNING');
    expect(running).toMatchObject({ image: 'ubuntu-24.04', instanceType: 'm6i.large', name: 'vm-11111111' });
    expect(running.publicIp).toMatch(/^198\.51\.100\./);
    // The newest matching AMI was chosen by DescribeImages.
    expect(emulator.instances().find((instance) => running.providerId.endsWith(instance.instanceId))?.imageId).toBe('ami-0a1b2c3d4e5f60002');

    await driver.reboot(created.providerId);
    expect(['STOPPING', 'STOPPED']).toContain((await driver.stop(created.providerId)).state);
    await settled(created.providerId, 'STOPPED');
    const resized = await driver.resize(created.providerId, 'm6i.xlarge');
    expect(resized).toMatchObject({ state: 'STOPPED', instanceType: 'm6i.xlarge' });
    expect(['PENDING', 'RUNNING']).toContain((await driver.start(created.providerId)).state);
    await settled(created.providerId, 'RUNNING');
    expect(['DELETING', 'DELETED']).toContain((await driver.delete(created.providerId)).state);
    await settled(created.providerId, 'DELETED');
    expect(emulator.signers()).toEqual([credentials.accessKeyId]);
  });

  it('refuses to resize a running instance with a conflict naming the state', async () => {
    const created = await driver.create(request('11111111-aaaa-4000-8000-000000000002'));
    await settled(created.providerId, 'RUNNING');
    const error = await rejection(driver.resize(created.providerId, 'm6i.xlarge'));
    expect(error).toMatchObject({ providerCode: 'IncorrectInstanceState', code: 'CONFLICT', transient: false });
    await driver.delete(created.providerId);
  });

  it('finds exactly one instance when a lost create response is retried with the same token', async () => {
    const token = '11111111-aaaa-4000-8000-000000000003';
    const oneShot = createAwsDriver({ credentials, endpoint: emulator.url, regions: ['us-east-1'], maxAttempts: 1, catalog });
    emulator.faults.inject({ action: 'RunInstances', kind: 'lost_response' });
    const lost = await rejection(oneShot.create(request(token)));
    expect(lost).toMatchObject({ transient: true, providerCode: 'RequestTimeout' });
    const adopted = await oneShot.findByClientToken(token, { region: 'us-east-1' });
    const retried = await oneShot.create(request(token));
    expect(retried.providerId).toBe(adopted?.providerId);
    expect(emulator.instances().filter((instance) => instance.clientToken === token)).toHaveLength(1);
    await driver.delete(retried.providerId);
  });

  it('lets the SDK retry a lost create response itself without making a second instance', async () => {
    const token = '11111111-aaaa-4000-8000-000000000004';
    const before = emulator.requestCounts().RunInstances ?? 0;
    emulator.faults.inject({ action: 'RunInstances', kind: 'lost_response' });
    const created = await driver.create(request(token));
    expect((emulator.requestCounts().RunInstances ?? 0) - before).toBe(2);
    expect(emulator.instances().filter((instance) => instance.clientToken === token).map((instance) => instance.instanceId)).toEqual([created.providerId.split('/')[1]]);
    await driver.delete(created.providerId);
  });

  it('retries throttling inside the SDK and surfaces persistent throttling as transient with Retry-After', async () => {
    const before = emulator.requestCounts().DescribeInstances ?? 0;
    emulator.faults.inject({ action: 'DescribeInstances', kind: 'throttle' });
    await driver.list({ region: 'us-east-1' });
    expect((emulator.requestCounts().DescribeInstances ?? 0) - before).toBe(2);

    const oneShot = createAwsDriver({ credentials, endpoint: emulator.url, regions: ['us-east-1'], maxAttempts: 1, catalog });
    emulator.faults.inject({ action: 'DescribeInstances', kind: 'throttle', retryAfterSeconds: 7 });
    const error = await rejection(oneShot.list({ region: 'us-east-1' }));
    expect(error).toMatchObject({ providerCode: 'RequestLimitExceeded', transient: true, code: 'PROVIDER_ERROR', retryAfterMs: 7000 });
  });

  it('reports a full region with the capacity code placement fails over on', async () => {
    const made = [];
    for (let index = 0; index < 3; index += 1) made.push(await driver.create(request(`22222222-aaaa-4000-8000-00000000000${index}`, { region: 'eu-west-1' })));
    const error = await rejection(driver.create(request('22222222-aaaa-4000-8000-000000000009', { region: 'eu-west-1' })));
    expect(error).toMatchObject({ providerCode: 'InsufficientInstanceCapacity', code: 'PROVIDER_CAPACITY', transient: false });
    for (const instance of made) await driver.delete(instance.providerId);
  });

  it('maps bad input to BAD_USER_INPUT naming the field', async () => {
    const badType = await rejection(driver.create(request('33333333-aaaa-4000-8000-000000000001', { instanceType: 'q9.colossal' })));
    expect(badType).toMatchObject({ code: 'BAD_USER_INPUT', field: 'instanceType', providerCode: 'InvalidParameterValue' });
    const badImage = await rejection(driver.create(request('33333333-aaaa-4000-8000-000000000002', { image: 'ami-0000000000000dead' })));
    expect(badImage).toMatchObject({ code: 'BAD_USER_INPUT', field: 'image', providerCode: 'InvalidAMIID.NotFound' });
  });

  it('maps refused credentials and permissions to PROVIDER_AUTH and quota to PROVIDER_QUOTA', async () => {
    const stranger = createAwsDriver({ credentials: { accessKeyId: 'AKIAEMULATORTENANT1', secretAccessKey: 'wrong-secret' }, endpoint: emulator.url, regions: ['us-east-1'], catalog });
    expect(await rejection(stranger.list({ region: 'us-east-1' }))).toMatchObject({ code: 'PROVIDER_AUTH', providerCode: 'SignatureDoesNotMatch' });
    emulator.faults.inject({ action: 'StopInstances', kind: 'forbidden' });
    const created = await driver.create(request('44444444-aaaa-4000-8000-000000000001'));
    expect(await rejection(driver.stop(created.providerId))).toMatchObject({ code: 'PROVIDER_AUTH', providerCode: 'UnauthorizedOperation' });
    emulator.faults.inject({ action: 'RunInstances', kind: 'quota' });
    expect(await rejection(driver.create(request('44444444-aaaa-4000-8000-000000000002')))).toMatchObject({ code: 'PROVIDER_QUOTA', providerCode: 'VcpuLimitExceeded' });
    await driver.delete(created.providerId);
  });

  it('returns null for an unknown instance and lists only managed instances when asked', async () => {
    expect(await driver.get('arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0')).toBeNull();
    const created = await driver.create(request('55555555-aaaa-4000-8000-000000000001', { region: 'us-west-2' }));
    const managed = await driver.list({ region: 'us-west-2', managedOnly: true });
    expect(managed.map((instance) => instance.providerId)).toEqual([created.providerId]);
    expect(await driver.findByClientToken('55555555-aaaa-4000-8000-000000000001', { region: 'us-west-2' })).toMatchObject({ providerId: created.providerId });
    await driver.delete(created.providerId);
  });

  it('describes itself as a real provider with catalog regions', () => {
    const description = driver.describe();
    expect(description.simulated).toBe(false);
    expect(description.regions.map((region) => region.name)).toContain('us-east-1');
    expect(driver.capabilities()).toMatchObject({ resizeRequiresStop: true, idempotentCreate: true });
    expect(driver.validate({ region: 'us-east-1', instanceType: 'm6i.large', image: 'plan9' })).toEqual([{ field: 'image', message: expect.stringContaining('plan9') }]);
  });
});

describe('AWS role credentials', () => {
  it('assumes the stored role through STS and signs EC2 calls with the temporary credentials', async () => {
    const assumed = createAwsDriver({
      credentials: { roleArn: 'arn:aws:iam::123456789012:role/novacron', externalId: 'acme-external-id', ...credentials },
      endpoint: emulator.url,
      regions: ['us-east-1'],
      catalog,
    });
    await assumed.list({ region: 'us-east-1' });
    const temporary = emulator.signers().filter((key) => key.startsWith('ASIA'));
    expect(temporary).toHaveLength(1);
    expect(emulator.sessionRole(temporary[0]!)).toBe('arn:aws:iam::123456789012:role/novacron');

    const wrongExternalId = createAwsDriver({ credentials: { roleArn: 'arn:aws:iam::123456789012:role/novacron', externalId: 'guess', ...credentials }, endpoint: emulator.url, regions: ['us-east-1'], catalog });
    expect(await rejection(wrongExternalId.list({ region: 'us-east-1' }))).toMatchObject({ code: 'PROVIDER_AUTH', providerCode: 'AccessDenied' });
  });
});

describe('AWS metrics from CloudWatch', () => {
  it('reads CPU, network and disk series for each VM with GetMetricData, signed for CloudWatch', async () => {
    const created = await driver.create(request('66666666-aaaa-4000-8000-000000000001'));
    const to = new Date(Date.now() + 1_000);
    const from = new Date(to.getTime() - 3_600_000);
    const samples = await driver.metrics({ instances: [{ providerId: created.providerId, region: 'us-east-1', vmId: 'vm-42', labels: {} }], from, to });
    expect(new Set(samples.map((sample) => sample.kind))).toEqual(new Set(['CPU_PERCENT', 'NETWORK_IN_BYTES', 'NETWORK_OUT_BYTES', 'DISK_READ_BYTES', 'DISK_WRITE_BYTES']));
    expect(samples.every((sample) => sample.vmId === 'vm-42' && sample.t >= from && sample.t < to && sample.t.getTime() % 300_000 === 0)).toBe(true);
    const cpu = samples.filter((sample) => sample.kind === 'CPU_PERCENT');
    expect(cpu.length).toBeGreaterThanOrEqual(1);
    expect(cpu.every((sample) => sample.value >= 0 && sample.value <= 100)).toBe(true);
    expect(emulator.requestCounts().GetMetricData).toBeGreaterThanOrEqual(1);
    await driver.delete(created.providerId);
  });
});
