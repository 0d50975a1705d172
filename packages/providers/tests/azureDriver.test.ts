import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadCatalog } from '@novacron/catalog';
import { startAzureEmulator, type AzureEmulator } from '@novacron/cloud-emulators';
import { azureVmName, createAzureDriver, type AzureDriverOptions } from '../src/azure/createAzureDriver.ts';
import { ProviderError } from '../src/ProviderError.ts';
import type { ProviderDriver } from '../src/ProviderDriver.ts';

const catalog = loadCatalog();
const subscriptionId = '11111111-2222-4333-8444-555555555555';
const tenantId = '99999999-8888-4777-8666-555555555555';
const principal = { clientId: 'aaaaaaaa-0000-4000-8000-000000000001', secret: 'emulated-secret' };
let emulator: AzureEmulator;
let driver: ReturnType<typeof createAzureDriver>;
let driverOptions: (overrides?: { clientSecret?: string; maxRetries?: number }) => AzureDriverOptions;

beforeAll(async () => {
  emulator = await startAzureEmulator({
    servicePrincipals: { [principal.clientId]: { tenantId, secret: principal.secret } },
    latencyMs: 30,
    capacityPerLocation: 2,
    vmSizes: [...new Set(catalog.entries.filter((entry) => entry.provider === 'azure').map((entry) => entry.instanceType))],
  });
  driverOptions = (overrides = {}) => ({
    credentials: {
      tenantId,
      clientId: principal.clientId,
      clientSecret: overrides.clientSecret ?? principal.secret,
      subscriptionId,
      resourceGroup: 'novacron',
      subnetId: `/subscriptions/${subscriptionId}/resourceGroups/network/providers/Microsoft.Network/virtualNetworks/main/subnets/default`,
    },
    endpoint: emulator.url,
    authorityHost: emulator.url,
    ca: emulator.certificate,
    pollIntervalMs: 10,
    ...(overrides.maxRetries !== undefined ? { maxRetries: overrides.maxRetries } : {}),
    catalog,
  });
  driver = createAzureDriver(driverOptions());
});
afterAll(() => emulator?.close());
beforeEach(() => emulator.faults.clear());

const request = (clientToken: string, overrides: Partial<Parameters<ProviderDriver['create']>[0]> = {}) => ({
  clientToken,
  name: `db-${clientToken.slice(0, 4)}`,
  region: 'eastus',
  instanceType: 'Standard_D2s_v5',
  image: 'ubuntu-24.04',
  labels: { team: 'data' },
  vmId: `vm-${clientToken}`,
  tenantId: 'acme',
  ...overrides,
});

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(() => null, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

const vms = () => emulator.resources('Microsoft.Compute/virtualMachines');

describe('Azure driver against the ARM emulator over TLS', () => {
  it('runs every lifecycle verb through the SDK with an Entra token, polling long-running operations; stop deallocates', async () => {
    const token = 'c0ffee00-1111-4000-8000-000000000001';
    const created = await driver.create(request(token));
    expect(created.providerId).toBe(`/subscriptions/${subscriptionId}/resourceGroups/novacron/providers/Microsoft.Compute/virtualMachines/${azureVmName(token)}`);
    expect(created).toMatchObject({ state: 'RUNNING', region: 'eastus', instanceType: 'Standard_D2s_v5', image: 'ubuntu-24.04', name: 'db-c0ff', clientToken: token });
    expect(created.privateIp).toMatch(/^10\.0\.0\./);
    expect(created.publicIp).toMatch(/^20\./);
    expect(created.tags).toMatchObject({ 'managed-by': 'novacron', 'novacron:vm-id': `vm-${token}`, 'novacron:tenant': 'acme' });
    expect(vms().find((vm) => vm.name === azureVmName(token))?.properties.osProfile).not.toHaveProperty('adminPassword');

    expect((await driver.reboot(created.providerId)).state).toBe('RUNNING');
    const stopped = await driver.stop(created.providerId);
    expect(stopped.state).toBe('STOPPED');
    expect(vms().find((vm) => vm.name === azureVmName(token))?.power).toBe('deallocated');
    expect((await driver.start(created.providerId)).state).toBe('RUNNING');
    expect(await driver.resize(created.providerId, 'Standard_D4s_v5')).toMatchObject({ state: 'RUNNING', instanceType: 'Standard_D4s_v5' });
    expect((await driver.delete(created.providerId)).state).toBe('DELETED');
    expect(await driver.get(created.providerId)).toBeNull();
    expect(emulator.resources().filter((resource) => resource.name.startsWith(azureVmName(token)))).toEqual([]);
    expect(emulator.callers()).toEqual([principal.clientId]);
  });

  it('finds its own VM when a PUT whose response was lost is retried, and makes exactly one', async () => {
    const token = 'c0ffee00-1111-4000-8000-000000000002';
    emulator.faults.inject({ action: 'virtualMachines.createOrUpdate', kind: 'lost_response' });
    const created = await driver.create(request(token));
    expect(created.clientToken).toBe(token);
    expect(emulator.requestCounts()['virtualMachines.createOrUpdate']).toBeGreaterThanOrEqual(2);
    expect(vms().filter((vm) => vm.name === azureVmName(token))).toHaveLength(1);
    expect(await driver.findByClientToken(token)).toMatchObject({ providerId: created.providerId });
    await driver.delete(created.providerId);
  });

  it('never adopts or overwrites a foreign VM under the deterministic name', async () => {
    const token = 'c0ffee00-1111-4000-8000-000000000003';
    const first = await driver.create(request(token));
    // Someone else's VM now sits under the name this token maps to (it lacks our client-token tag).
    emulator.alter(azureVmName(token), { tags: { owner: 'someone-else' } });
    const error = await rejection(driver.create(request(token)));
    expect(error).toMatchObject({ code: 'CONFLICT', transient: false });
    expect(vms().filter((vm) => vm.name === azureVmName(token)).map((vm) => vm.tags)).toEqual([{ owner: 'someone-else' }]);
    expect(await driver.findByClientToken(token)).toBeNull();
    await driver.delete(first.providerId);
  });

  it('retries throttling honouring Retry-After, and reports persistent throttling as transient', async () => {
    const before = emulator.requestCounts()['virtualMachines.list'] ?? 0;
    emulator.faults.inject({ action: 'virtualMachines.list', kind: 'throttle', retryAfterSeconds: 0 });
    await driver.list();
    expect((emulator.requestCounts()['virtualMachines.list'] ?? 0) - before).toBe(2);
    const oneShot = createAzureDriver(driverOptions({ maxRetries: 0 }));
    emulator.faults.inject({ action: 'virtualMachines.list', kind: 'throttle', retryAfterSeconds: 9 });
    expect(await rejection(oneShot.list())).toMatchObject({ transient: true, providerCode: 'TooManyRequests', retryAfterMs: 9000 });
  });

  it('surfaces AllocationFailed from the long-running operation and SkuNotAvailable as the capacity code, cleaning up the failed VM', async () => {
    const made = [];
    for (let index = 0; index < 2; index += 1) made.push(await driver.create(request(`d0ffee00-1111-4000-8000-00000000000${index}`, { region: 'westeurope' })));
    const token = 'd0ffee00-1111-4000-8000-000000000009';
    const error = await rejection(driver.create(request(token, { region: 'westeurope' })));
    expect(error).toMatchObject({ code: 'PROVIDER_CAPACITY', providerCode: 'AllocationFailed', transient: false });
    expect(vms().filter((vm) => vm.name === azureVmName(token))).toEqual([]);
    for (const instance of made) await driver.delete(instance.providerId);
    emulator.faults.inject({ action: 'virtualMachines.createOrUpdate', kind: 'capacity' });
    expect(await rejection(driver.create(request('d0ffee00-1111-4000-8000-000000000010')))).toMatchObject({ code: 'PROVIDER_CAPACITY', providerCode: 'SkuNotAvailable' });
  });

  it('maps a bad size to BAD_USER_INPUT on instanceType, a wrong secret and missing permissions to PROVIDER_AUTH, quota to PROVIDER_QUOTA', async () => {
    expect(await rejection(driver.create(request('e0ffee00-1111-4000-8000-000000000001', { instanceType: 'Standard_Imaginary_v9' })))).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'instanceType',
      providerCode: 'InvalidParameter',
    });
    const wrongSecret = createAzureDriver(driverOptions({ clientSecret: 'not-the-secret' }));
    const refused = await rejection(wrongSecret.list());
    expect(refused).toMatchObject({ code: 'PROVIDER_AUTH' });
    emulator.faults.inject({ action: 'virtualMachines.list', kind: 'forbidden' });
    expect(await rejection(driver.list())).toMatchObject({ code: 'PROVIDER_AUTH', providerCode: 'AuthorizationFailed' });
    emulator.faults.inject({ action: 'virtualMachines.createOrUpdate', kind: 'quota' });
    expect(await rejection(driver.create(request('e0ffee00-1111-4000-8000-000000000002')))).toMatchObject({ code: 'PROVIDER_QUOTA', providerCode: 'QuotaExceeded' });
  });

  it('lists managed VMs across pages with their addresses', async () => {
    const made = [];
    for (let index = 0; index < 2; index += 1) made.push(await driver.create(request(`f0ffee00-1111-4000-8000-00000000000${index}`, { region: 'eastus2' })));
    const listed = await driver.list({ region: 'eastus2', managedOnly: true });
    expect(listed.map((instance) => instance.providerId).sort()).toEqual(made.map((instance) => instance.providerId).sort());
    expect(listed.every((instance) => instance.state === 'RUNNING' && instance.privateIp !== null)).toBe(true);
    for (const instance of made) await driver.delete(instance.providerId);
  });
});

describe('Azure metrics from Azure Monitor', () => {
  it('reads CPU, network and disk series per VM with one metrics call each', async () => {
    const created = await driver.create(request('a1ffee00-1111-4000-8000-000000000001', { region: 'eastus2' }));
    const to = new Date(Date.now() + 1_000);
    const from = new Date(to.getTime() - 600_000);
    const before = emulator.requestCounts()['metrics.list'] ?? 0;
    const samples = await driver.metrics({ instances: [{ providerId: created.providerId, region: 'eastus2', vmId: 'vm-9', labels: {} }], from, to });
    expect(new Set(samples.map((sample) => sample.kind))).toEqual(new Set(['CPU_PERCENT', 'NETWORK_IN_BYTES', 'NETWORK_OUT_BYTES', 'DISK_READ_BYTES', 'DISK_WRITE_BYTES']));
    expect(samples.every((sample) => sample.vmId === 'vm-9' && sample.t.getTime() % 60_000 === 0)).toBe(true);
    expect(samples.filter((sample) => sample.kind === 'CPU_PERCENT').every((sample) => sample.value >= 0 && sample.value <= 100)).toBe(true);
    expect((emulator.requestCounts()['metrics.list'] ?? 0) - before).toBe(1);
    await driver.delete(created.providerId);
  });
});
