import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '@novacron/catalog';
import { startCloudEmulators, type RunningCloudEmulators } from '@novacron/cloud-emulators';
import { createSql } from '@novacron/db';
import { createProviderRegistry } from '../src/createProviderRegistry.ts';
import { emulatedCloudsFromEnvironment } from '../src/cloud/emulatedClouds.ts';
import { ProviderError } from '../src/ProviderError.ts';

const catalog = loadCatalog();
// The simulated drivers are never called here: forTenant and the emulated drivers do not touch Postgres.
const sql = createSql('postgres://unused@127.0.0.1:1/unused');
let clouds: RunningCloudEmulators;

beforeAll(async () => {
  clouds = await startCloudEmulators({ latencyMs: 20 });
});
afterAll(async () => {
  await clouds?.close();
  await sql.end({ timeout: 1 });
});

describe('per-tenant drivers from stored credentials', () => {
  it('gives a tenant with credentials a real driver signed with its own key, and others the simulated one', async () => {
    const stored = new Map<string, Record<string, string>>([['acme:aws', clouds.descriptor.aws.credentials]]);
    const registry = createProviderRegistry({
      sql,
      latencyMs: { min: 0, max: 0 },
      capacityPerRegion: 5,
      catalog,
      loadCredentials: async (tenantId, provider) => stored.get(`${tenantId}:${provider}`) ?? null,
      cloud: { aws: { endpoint: clouds.descriptor.aws.endpoint, regions: ['us-east-1'] } },
    });
    expect(registry.get('aws')?.describe().simulated).toBe(true);
    const acme = await registry.forTenant('acme', 'aws');
    expect(acme?.describe()).toMatchObject({ name: 'aws', simulated: false });
    expect((await registry.forTenant('globex', 'aws'))?.describe().simulated).toBe(true);
    expect(await registry.forTenant('acme', 'aws')).toBe(acme);
    expect((await registry.listForTenant('acme')).map((driver) => [driver.name, driver.describe().simulated])).toEqual([
      ['aws', false],
      ['azure', true],
      ['gcp', true],
    ]);
    await acme!.list({ region: 'us-east-1' });
    expect(clouds.ec2.signers()).toEqual([clouds.descriptor.aws.credentials.accessKeyId]);

    // Changed credentials take effect at once; wrong ones are refused by the emulator's signature check.
    stored.set('acme:aws', { ...clouds.descriptor.aws.credentials, secretAccessKey: 'rotated-but-wrong' });
    const rotated = await registry.forTenant('acme', 'aws');
    expect(rotated).not.toBe(acme);
    const refused = await rotated!.list({ region: 'us-east-1' }).then(() => null, (error: unknown) => error);
    expect(refused).toMatchObject({ code: 'PROVIDER_AUTH', providerCode: 'SignatureDoesNotMatch' });
  });

  it('fails every call of a tenant whose stored credentials are incomplete, naming the missing key', async () => {
    const registry = createProviderRegistry({ sql, latencyMs: { min: 0, max: 0 }, capacityPerRegion: 5, catalog, loadCredentials: async () => ({ tenantId: 't', clientId: 'c' }) });
    const driver = await registry.forTenant('acme', 'azure');
    expect(driver?.describe().simulated).toBe(false);
    const error = await driver!.list().then(() => null, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'credentials.clientSecret' });
  });
});

describe('NOVACRON_CLOUDS=emulated', () => {
  it('runs the three real drivers against the emulators through the registry', async () => {
    const emulated = emulatedCloudsFromEnvironment({ NOVACRON_CLOUDS: 'emulated', NOVACRON_CLOUD_EMULATORS: JSON.stringify(clouds.descriptor) });
    const registry = createProviderRegistry({ sql, latencyMs: { min: 0, max: 0 }, capacityPerRegion: 5, catalog, emulated });
    expect(registry.list().map((driver) => [driver.name, driver.describe().simulated])).toEqual([
      ['aws', false],
      ['azure', false],
      ['gcp', false],
    ]);
    const regions = { aws: 'us-east-1', azure: 'eastus', gcp: 'us-central1' } as const;
    const types = { aws: 't3.micro', azure: 'Standard_B2s', gcp: 'e2-standard-2' } as const;
    for (const name of ['aws', 'azure', 'gcp'] as const) {
      const driver = registry.get(name)!;
      const created = await driver.create({ clientToken: `emulated-${name}`, name: `demo-${name}`, region: regions[name], instanceType: types[name], image: 'debian-12', labels: {} });
      expect(await driver.findByClientToken(`emulated-${name}`, { region: regions[name] })).toMatchObject({ providerId: created.providerId });
      await driver.delete(created.providerId);
    }
    expect(emulatedCloudsFromEnvironment({})).toBeUndefined();
    expect(() => emulatedCloudsFromEnvironment({ NOVACRON_CLOUDS: 'emulated' })).toThrow(/NOVACRON_CLOUD_EMULATORS/);
  });
});
