import { afterAll, describe, expect, it } from 'vitest';
import { createCatalog, loadCatalog } from '@novacron/catalog';
import { createSql } from '@novacron/db';
import { createProviderRegistry, createSimulatedDriver, type ProviderDriver } from '../src/index.ts';

// postgres.js connects lazily: describe, capabilities and validate must never touch the database,
// so these tests give the drivers a pool pointing nowhere.
const nowhere = createSql('postgres://nobody:nothing@127.0.0.1:1/none', { max: 1 });
afterAll(async () => {
  await nowhere.end({ timeout: 0 });
});

function driver(provider: 'aws' | 'azure' | 'gcp'): ProviderDriver {
  return createSimulatedDriver({ provider, sql: nowhere, latencyMs: { min: 0, max: 0 }, capacityPerRegion: 10 });
}

describe('simulated provider description', () => {
  it('describes each cloud as simulated, with the catalog’s regions and types', () => {
    const catalog = loadCatalog();
    for (const provider of ['aws', 'azure', 'gcp'] as const) {
      const description = driver(provider).describe();
      expect(description).toMatchObject({ name: provider, simulated: true });
      expect(description.displayName).toContain('(simulated)');
      expect(description.regions.map((region) => region.name)).toEqual(catalog.regionsOf(provider));
    }
    const useast1 = driver('aws').describe().regions.find((region) => region.name === 'us-east-1');
    expect(useast1?.instanceTypes).toHaveLength(27);
    expect(useast1?.instanceTypes.find((type) => type.name === 'p4d.24xlarge')).toEqual({
      name: 'p4d.24xlarge',
      vcpus: 96,
      memoryGib: 1152,
      arch: 'x86_64',
      gpuName: 'A100',
      gpuCount: 8,
    });
  });

  it('requires a stop to resize on aws and gcp but not on azure', () => {
    expect(driver('aws').capabilities().resizeRequiresStop).toBe(true);
    expect(driver('gcp').capabilities().resizeRequiresStop).toBe(true);
    expect(driver('azure').capabilities().resizeRequiresStop).toBe(false);
    expect(driver('azure').capabilities()).toEqual({
      resizeRequiresStop: false,
      idempotentCreate: true,
      canReboot: true,
      images: ['ubuntu-24.04', 'ubuntu-22.04', 'debian-12', 'rocky-9', 'windows-2022'],
    });
  });

  it('offers only what a given catalog holds', () => {
    const entry = loadCatalog().find('gcp', 'us-central1', 'e2-standard-2')!;
    const gcp = createSimulatedDriver({ provider: 'gcp', sql: nowhere, latencyMs: { min: 0, max: 0 }, capacityPerRegion: 1, catalog: createCatalog([entry]) });
    expect(gcp.describe().regions).toEqual([{ name: 'us-central1', instanceTypes: [expect.objectContaining({ name: 'e2-standard-2' })] }]);
    expect(gcp.validate({ region: 'us-east1', instanceType: 'e2-standard-2' })).toEqual([expect.objectContaining({ field: 'region' })]);
  });

  it('refuses nonsensical latency and capacity settings', () => {
    expect(() => createSimulatedDriver({ provider: 'aws', sql: nowhere, latencyMs: { min: 10, max: 5 }, capacityPerRegion: 1 })).toThrow(RangeError);
    expect(() => createSimulatedDriver({ provider: 'aws', sql: nowhere, latencyMs: { min: 0, max: 0 }, capacityPerRegion: -1 })).toThrow(RangeError);
  });
});

describe('simulated provider validation', () => {
  it('accepts a type offered in the region with a known image', () => {
    expect(driver('aws').validate({ region: 'us-east-1', instanceType: 'c6i.2xlarge', image: 'ubuntu-24.04', name: 'web' })).toEqual([]);
    expect(driver('azure').validate({ region: 'eastus', instanceType: 'Standard_B2s' })).toEqual([]);
  });

  it('names the region field for an unknown region', () => {
    expect(driver('aws').validate({ region: 'mars-north-1', instanceType: 't3.micro' })).toEqual([
      { field: 'region', message: 'aws has no region "mars-north-1"' },
    ]);
  });

  it('names the instanceType field for a type the region does not offer', () => {
    expect(driver('aws').validate({ region: 'ap-southeast-3', instanceType: 'c6i.large' })).toEqual([
      { field: 'instanceType', message: 'aws does not offer "c6i.large" in ap-southeast-3' },
    ]);
    expect(driver('gcp').validate({ region: 'us-east1', instanceType: 't2a-standard-1' })).toEqual([expect.objectContaining({ field: 'instanceType' })]);
  });

  it('names the instanceType field for a type of another cloud', () => {
    expect(driver('gcp').validate({ region: 'us-central1', instanceType: 't3.micro' })).toEqual([
      { field: 'instanceType', message: 'gcp has no instance type "t3.micro"' },
    ]);
  });

  it('names the image and name fields for an unknown image and a blank name', () => {
    const problems = driver('azure').validate({ region: 'eastus', instanceType: 'Standard_D2s_v5', image: 'windows-95', name: '  ' });
    expect(problems.map((problem) => problem.field)).toEqual(['image', 'name']);
  });

  it('reports every problem at once', () => {
    expect(driver('aws').validate({ region: 'nowhere', instanceType: 'nothing', image: 'none' }).map((problem) => problem.field)).toEqual([
      'region',
      'instanceType',
      'image',
    ]);
  });
});

describe('provider registry', () => {
  const options = { sql: nowhere, latencyMs: { min: 0, max: 0 }, capacityPerRegion: 10 };

  it('holds a simulated aws, azure and gcp by default', () => {
    const registry = createProviderRegistry(options);
    expect(registry.list().map((driver) => driver.name)).toEqual(['aws', 'azure', 'gcp']);
    expect(registry.list().every((driver) => driver.describe().simulated)).toBe(true);
    expect(registry.get('gcp')?.name).toBe('gcp');
    expect(registry.get('oracle')).toBeUndefined();
  });

  it('lets a real driver replace the simulated one of the same name and adds new ones', () => {
    const simulatedAzure = driver('azure');
    const realAws = { ...driver('aws'), describe: () => ({ ...driver('aws').describe(), simulated: false }) };
    const oracle = { ...simulatedAzure, name: 'oracle' };
    const registry = createProviderRegistry({ ...options, drivers: [realAws, oracle] });
    expect(registry.get('aws')).toBe(realAws);
    expect(registry.get('aws')?.describe().simulated).toBe(false);
    expect(registry.get('azure')?.describe().simulated).toBe(true);
    expect(registry.list().map((driver) => driver.name)).toEqual(['aws', 'azure', 'gcp', 'oracle']);
  });
});
