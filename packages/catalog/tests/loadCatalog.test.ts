import { describe, expect, it } from 'vitest';
import { catalogCsvHeader, createCatalog, loadCatalog, parseCatalogCsv } from '../src/index.ts';

describe('loadCatalog', () => {
  const catalog = loadCatalog();

  it('loads all 1,328 rows of the shipped price file', () => {
    expect(catalog.entries).toHaveLength(1328);
  });

  it('returns the same cached catalog on every call', () => {
    expect(loadCatalog()).toBe(catalog);
  });

  it('lists the three providers', () => {
    expect(catalog.providers()).toEqual(['aws', 'azure', 'gcp']);
  });

  it('counts rows, regions and instance types per provider as SOURCE.md documents', () => {
    const facts = catalog.providers().map((provider) => {
      const rows = catalog.entries.filter((entry) => entry.provider === provider);
      return { provider, rows: rows.length, regions: catalog.regionsOf(provider).length, types: new Set(rows.map((row) => row.instanceType)).size };
    });
    expect(facts).toEqual([
      { provider: 'aws', rows: 578, regions: 24, types: 27 },
      { provider: 'azure', rows: 135, regions: 9, types: 15 },
      { provider: 'gcp', rows: 615, regions: 42, types: 20 },
    ]);
  });

  it('finds the on-demand and spot price of aws us-east-1 c6i.2xlarge', () => {
    expect(catalog.find('aws', 'us-east-1', 'c6i.2xlarge')).toEqual({
      provider: 'aws',
      region: 'us-east-1',
      instanceType: 'c6i.2xlarge',
      vcpus: 8,
      memoryGib: 16,
      arch: 'x86_64',
      gpuName: null,
      gpuCount: 0,
      priceHourUsd: 0.34,
      spotPriceHourUsd: 0.0697,
    });
  });

  it('reports GPUs for the AWS GPU types', () => {
    expect(catalog.find('aws', 'us-east-1', 'p4d.24xlarge')).toMatchObject({ gpuName: 'A100', gpuCount: 8, vcpus: 96, memoryGib: 1152, priceHourUsd: 21.957642 });
    expect(catalog.find('aws', 'us-east-1', 'g5.xlarge')).toMatchObject({ gpuName: 'A10G', gpuCount: 1 });
  });

  it('has no spot price for any Azure B-series row and a spot price for every other row', () => {
    const bSeries = catalog.entries.filter((entry) => entry.provider === 'azure' && entry.instanceType.startsWith('Standard_B'));
    expect(bSeries).toHaveLength(18);
    expect(bSeries.every((entry) => entry.spotPriceHourUsd === null)).toBe(true);
    expect(catalog.entries.filter((entry) => entry.spotPriceHourUsd === null)).toHaveLength(18);
  });

  it('marks only m7g and t2a types as arm64', () => {
    const arm = new Set(catalog.entries.filter((entry) => entry.arch === 'arm64').map((entry) => entry.instanceType));
    expect([...arm].sort()).toEqual(['m7g.2xlarge', 'm7g.4xlarge', 'm7g.large', 'm7g.xlarge', 't2a-standard-1', 't2a-standard-2', 't2a-standard-4', 't2a-standard-8']);
  });

  it('reads integer Azure memory and decimal GCP prices as numbers', () => {
    expect(catalog.find('azure', 'eastus', 'Standard_D4s_v5')).toMatchObject({ vcpus: 4, memoryGib: 16, priceHourUsd: 0.192, spotPriceHourUsd: 0.02112 });
    expect(catalog.find('gcp', 'us-central1', 'n2-standard-4')).toMatchObject({ priceHourUsd: 0.19424, spotPriceHourUsd: 0.0635 });
  });

  it('lists only the types a region offers, sorted by name', () => {
    expect(catalog.instanceTypesIn('aws', 'ap-southeast-4').map((entry) => entry.instanceType)).toEqual([
      'm7g.2xlarge', 'm7g.4xlarge', 'm7g.large', 'm7g.xlarge', 't3.2xlarge', 't3.large', 't3.medium', 't3.micro', 't3.small', 't3.xlarge',
    ]);
    expect(catalog.instanceTypesIn('gcp', 'us-central1')).toHaveLength(20);
    expect(catalog.instanceTypesIn('aws', 'us-east-1')).toHaveLength(27);
  });

  it('lists the nine Azure regions', () => {
    expect(catalog.regionsOf('azure')).toEqual(['centralus', 'eastus', 'eastus2', 'northcentralus', 'southcentralus', 'westcentralus', 'westus', 'westus2', 'westus3']);
  });

  it('answers empty or undefined for what the catalog does not hold', () => {
    expect(catalog.regionsOf('oracle')).toEqual([]);
    expect(catalog.instanceTypesIn('aws', 'sa-east-1')).toEqual([]);
    expect(catalog.find('aws', 'ap-southeast-3', 'c6i.large')).toBeUndefined();
    expect(catalog.find('gcp', 'us-central1', 'c6i.large')).toBeUndefined();
  });

  it('hands out frozen entries that callers cannot corrupt', () => {
    expect(Object.isFrozen(catalog.entries)).toBe(true);
    expect(Object.isFrozen(catalog.entries[0])).toBe(true);
  });
});

describe('parseCatalogCsv', () => {
  const row = 'aws,us-east-1,t3.micro,2.0,1.0,x86_64,,0,0.0104,0.003100';

  it('parses a well-formed file into entries a catalog can index', () => {
    const catalog = createCatalog(parseCatalogCsv(`${catalogCsvHeader}\n${row}\n`));
    expect(catalog.find('aws', 'us-east-1', 't3.micro')?.priceHourUsd).toBe(0.0104);
  });

  it.each([
    ['a wrong header', `provider,region\n${row}`, /expected header/],
    ['a missing column', `${catalogCsvHeader}\naws,us-east-1,t3.micro,2.0,1.0,x86_64,,0,0.0104`, /:2: expected 10 columns/],
    ['a non-numeric price', `${catalogCsvHeader}\naws,us-east-1,t3.micro,2.0,1.0,x86_64,,0,free,`, /price_hour_usd "free" is not a number/],
    ['an empty price', `${catalogCsvHeader}\naws,us-east-1,t3.micro,2.0,1.0,x86_64,,0,,`, /price_hour_usd "" is not a number/],
    ['an unknown arch', `${catalogCsvHeader}\naws,us-east-1,t3.micro,2.0,1.0,sparc,,0,0.01,`, /unknown arch/],
    ['a GPU count without a GPU name', `${catalogCsvHeader}\naws,us-east-1,t3.micro,2.0,1.0,x86_64,,1,0.01,`, /gpu_name and gpu_count disagree/],
    ['an empty region', `${catalogCsvHeader}\naws,,t3.micro,2.0,1.0,x86_64,,0,0.01,`, /empty region/],
    ['a duplicate row', `${catalogCsvHeader}\n${row}\n${row}`, /:3: duplicate row for aws\/us-east-1\/t3.micro/],
  ])('rejects %s with the offending line', (_name, text, message) => {
    expect(() => parseCatalogCsv(text)).toThrow(message);
  });
});
