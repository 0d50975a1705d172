import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadCatalog } from '@novacron/catalog';
import { startGceEmulator, type GceEmulator } from '@novacron/cloud-emulators';
import { createGcpDriver, gceInstanceName, gceRequestId, type GcpDriverOptions } from '../src/gcp/createGcpDriver.ts';
import { ProviderError } from '../src/ProviderError.ts';
import type { ProviderDriver } from '../src/ProviderDriver.ts';

const catalog = loadCatalog();
const project = 'novacron-test';
const makeKey = (email: string) => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    serviceAccount: { client_email: email, private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), private_key_id: 'k1' },
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
};
const tenant = makeKey('novacron@novacron-test.iam.gserviceaccount.com');
const stranger = makeKey('stranger@elsewhere.iam.gserviceaccount.com');
let emulator: GceEmulator;
let driver: ReturnType<typeof createGcpDriver>;
let driverOptions: (overrides?: Partial<GcpDriverOptions>) => GcpDriverOptions;

beforeAll(async () => {
  emulator = await startGceEmulator({
    serviceAccounts: { [tenant.serviceAccount.client_email]: tenant.publicKey },
    latencyMs: 40,
    capacityPerZone: 3,
    machineTypes: [...new Set(catalog.entries.filter((entry) => entry.provider === 'gcp').map((entry) => entry.instanceType))],
  });
  driverOptions = (overrides = {}) => ({
    credentials: { project, serviceAccount: tenant.serviceAccount },
    endpoint: { host: '127.0.0.1', port: emulator.port, protocol: 'http' },
    retry: { initialDelayMs: 20, maxRetries: 3 },
    pollHintMs: 20,
    catalog,
    ...overrides,
  });
  driver = createGcpDriver(driverOptions());
});
afterAll(() => emulator?.close());
beforeEach(() => emulator.faults.clear());

const request = (clientToken: string, overrides: Partial<Parameters<ProviderDriver['create']>[0]> = {}) => ({
  clientToken,
  name: `web ${clientToken.slice(0, 4)}`,
  region: 'us-central1',
  instanceType: 'e2-standard-2',
  image: 'ubuntu-24.04',
  labels: { Team: 'Infra' },
  vmId: `vm-${clientToken}`,
  tenantId: 'acme',
  ...overrides,
});

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(() => null, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

describe('GCP driver against the Compute Engine emulator', () => {
  it('runs every lifecycle verb through the SDK with a self-signed service-account token, awaiting zone operations', async () => {
    const token = '6f0c7d7e-1111-4000-8000-000000000001';
    const created = await driver.create(request(token));
    expect(created.providerId).toBe(`projects/${project}/zones/us-central1-a/instances/${gceInstanceName(token)}`);
    expect(created).toMatchObject({ state: 'RUNNING', name: 'web 6f0c', region: 'us-central1', instanceType: 'e2-standard-2', image: 'ubuntu-24.04', clientToken: token });
    expect(created.tags).toMatchObject({ 'managed-by': 'novacron', 'novacron-vm-id': `vm-${token}`, 'novacron-tenant': 'acme', team: 'infra' });
    expect(created.publicIp).toMatch(/^203\.0\.113\./);
    expect((await driver.reboot(created.providerId)).state).toBe('RUNNING');
    expect((await driver.stop(created.providerId)).state).toBe('STOPPED');
    expect(await driver.resize(created.providerId, 'e2-standard-4')).toMatchObject({ state: 'STOPPED', instanceType: 'e2-standard-4' });
    expect((await driver.start(created.providerId)).state).toBe('RUNNING');
    expect((await driver.delete(created.providerId)).state).toBe('DELETED');
    expect(await driver.get(created.providerId)).toBeNull();
    expect(emulator.callers()).toEqual([tenant.serviceAccount.client_email]);
  });

  it('derives a UUID requestId and a deterministic instance name from the client token', () => {
    const token = 'op-123';
    expect(gceRequestId(token)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(gceRequestId(token)).toBe(gceRequestId('op-123'));
    expect(gceRequestId(token)).not.toBe(gceRequestId('op-124'));
    expect(gceInstanceName(token)).toMatch(/^nc-[0-9a-f]{24}$/);
  });

  it('refuses to resize a running instance with a conflict', async () => {
    const created = await driver.create(request('6f0c7d7e-1111-4000-8000-000000000002'));
    expect(await rejection(driver.resize(created.providerId, 'e2-standard-4'))).toMatchObject({ code: 'CONFLICT', providerCode: 'resourceNotReady' });
    await driver.delete(created.providerId);
  });

  it('lets gax retry a lost insert response with the same requestId, making exactly one instance', async () => {
    const token = '6f0c7d7e-1111-4000-8000-000000000003';
    const before = emulator.requestCounts()['instances.insert'] ?? 0;
    emulator.faults.inject({ action: 'instances.insert', kind: 'lost_response' });
    const created = await driver.create(request(token));
    expect((emulator.requestCounts()['instances.insert'] ?? 0) - before).toBe(2);
    expect(emulator.instances().filter((instance) => instance.name === gceInstanceName(token))).toHaveLength(1);
    await driver.delete(created.providerId);
  });

  it('adopts the instance of a lost insert when the caller retries after giving up', async () => {
    const token = '6f0c7d7e-1111-4000-8000-000000000004';
    const oneShot = createGcpDriver(driverOptions({ retry: { maxRetries: 0 } }));
    emulator.faults.inject({ action: 'instances.insert', kind: 'lost_response' });
    const lost = await rejection(oneShot.create(request(token)));
    expect(lost.transient).toBe(true);
    const adopted = await oneShot.findByClientToken(token);
    expect(adopted?.providerId).toContain(gceInstanceName(token));
    const retried = await oneShot.create(request(token));
    expect(retried.providerId).toBe(adopted?.providerId);
    expect(emulator.instances().filter((instance) => instance.name === gceInstanceName(token))).toHaveLength(1);
    await driver.delete(retried.providerId);
  });

  it('retries throttling with gax backoff, and reports persistent throttling as transient', async () => {
    const before = emulator.requestCounts()['instances.aggregatedList'] ?? 0;
    emulator.faults.inject({ action: 'instances.aggregatedList', kind: 'throttle', count: 2 });
    await driver.list();
    expect((emulator.requestCounts()['instances.aggregatedList'] ?? 0) - before).toBe(3);
    emulator.faults.inject({ action: 'instances.aggregatedList', kind: 'throttle', count: 10 });
    // gax gives up with DEADLINE_EXCEEDED once its retries are spent: still transient for the caller.
    const error = await rejection(driver.list());
    expect(error.transient).toBe(true);
    expect(error.message).toMatch(/retries/);
  });

  it('surfaces ZONE_RESOURCE_POOL_EXHAUSTED from the zone operation as the capacity code', async () => {
    const made = [];
    for (let index = 0; index < 3; index += 1) made.push(await driver.create(request(`7a0c7d7e-1111-4000-8000-00000000000${index}`, { region: 'europe-west4' })));
    const error = await rejection(driver.create(request('7a0c7d7e-1111-4000-8000-000000000009', { region: 'europe-west4' })));
    expect(error).toMatchObject({ code: 'PROVIDER_CAPACITY', providerCode: 'ZONE_RESOURCE_POOL_EXHAUSTED', transient: false });
    for (const instance of made) await driver.delete(instance.providerId);
  });

  it('maps bad input, refused tokens, permissions and quota to our codes', async () => {
    expect(await rejection(driver.create(request('8a0c7d7e-1111-4000-8000-000000000001', { instanceType: 'z9-enormous-999' })))).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'instanceType',
    });
    const foreign = createGcpDriver(driverOptions({ credentials: { project, serviceAccount: stranger.serviceAccount } }));
    expect(await rejection(foreign.list())).toMatchObject({ code: 'PROVIDER_AUTH' });
    emulator.faults.inject({ action: 'instances.insert', kind: 'forbidden' });
    expect(await rejection(driver.create(request('8a0c7d7e-1111-4000-8000-000000000002')))).toMatchObject({ code: 'PROVIDER_AUTH' });
    emulator.faults.inject({ action: 'instances.insert', kind: 'quota' });
    expect(await rejection(driver.create(request('8a0c7d7e-1111-4000-8000-000000000003')))).toMatchObject({ code: 'PROVIDER_QUOTA', providerCode: 'quotaExceeded' });
  });

  it('lists managed instances across zones with pagination and returns null for unknown ones', async () => {
    const made = [];
    for (let index = 0; index < 3; index += 1) made.push(await driver.create(request(`9a0c7d7e-1111-4000-8000-00000000000${index}`, { region: 'us-east1' })));
    const managed = await createGcpDriver(driverOptions()).list({ managedOnly: true });
    expect(managed.map((instance) => instance.providerId)).toEqual(expect.arrayContaining(made.map((instance) => instance.providerId)));
    expect(await driver.get(`projects/${project}/zones/us-east1-a/instances/nc-000000000000000000000000`)).toBeNull();
    for (const instance of made) await driver.delete(instance.providerId);
  });
});

describe('GCP metrics from Cloud Monitoring', () => {
  it('reads CPU, network and disk series per VM through timeSeries.list', async () => {
    const created = await driver.create(request('5b0c7d7e-1111-4000-8000-000000000001'));
    const to = new Date(Date.now() + 1_000);
    const from = new Date(to.getTime() - 600_000);
    const samples = await driver.metrics({ instances: [{ providerId: created.providerId, region: 'us-central1', vmId: 'vm-7', labels: {} }], from, to });
    expect(new Set(samples.map((sample) => sample.kind))).toEqual(new Set(['CPU_PERCENT', 'NETWORK_IN_BYTES', 'NETWORK_OUT_BYTES', 'DISK_READ_BYTES', 'DISK_WRITE_BYTES']));
    expect(samples.every((sample) => sample.vmId === 'vm-7' && sample.t.getTime() <= to.getTime() && sample.t.getTime() % 60_000 === 0)).toBe(true);
    const cpu = samples.filter((sample) => sample.kind === 'CPU_PERCENT');
    expect(cpu.length).toBeGreaterThanOrEqual(1);
    expect(cpu.every((sample) => sample.value >= 0 && sample.value <= 100)).toBe(true);
    expect(emulator.requestCounts()['timeSeries.list']).toBe(5);
    await driver.delete(created.providerId);
  });
});
