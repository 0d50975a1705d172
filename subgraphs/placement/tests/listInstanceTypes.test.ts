import { describe, expect, it } from 'vitest';
import { createCatalog, loadCatalog } from '@novacron/catalog';
import { AppError } from '@novacron/errors';
import { listInstanceTypes } from '../src/domain/listInstanceTypes.ts';
import { instanceFamily } from '../src/domain/instanceFamily.ts';

const catalog = loadCatalog();

describe('instanceTypes connection', () => {
  it('pages through a filter with stable cursors, every offering exactly once, in name order', () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const page = listInstanceTypes(catalog, { provider: 'aws', region: 'us-east-1' }, 10, after);
      expect(page.totalCount).toBe(27);
      seen.push(...page.edges.map((edge) => edge.node.instanceType));
      pages += 1;
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(seen).toHaveLength(27);
    expect(seen).toEqual([...seen].sort());
    expect(seen.slice(0, 3)).toEqual(['c6i.2xlarge', 'c6i.4xlarge', 'c6i.8xlarge']);
  });

  it('keeps a cursor valid when its own row disappears from the catalog', () => {
    const first = listInstanceTypes(catalog, { provider: 'aws', region: 'us-east-1' }, 2, null);
    const cursor = first.pageInfo.endCursor as string; // after c6i.4xlarge
    const trimmed = createCatalog(catalog.entries.filter((entry) => entry.instanceType !== 'c6i.4xlarge'));
    const next = listInstanceTypes(trimmed, { provider: 'aws', region: 'us-east-1' }, 1, cursor);
    expect(next.edges[0]?.node.instanceType).toBe('c6i.8xlarge');
  });

  it('filters by arch, size, accelerator, family and price', () => {
    const arm = listInstanceTypes(catalog, { arch: 'arm64', minVcpus: 8 }, 500, null);
    expect(arm.edges.every(({ node }) => node.arch === 'arm64' && node.vcpus >= 8)).toBe(true);
    expect(listInstanceTypes(catalog, { gpuName: 'A100' }, 1, null).totalCount).toBe(12);
    expect(listInstanceTypes(catalog, { provider: 'azure', family: 'Dsv5', region: 'eastus' }, 10, null).edges.map((e) => e.node.instanceType)).toEqual([
      'Standard_D16s_v5', 'Standard_D2s_v5', 'Standard_D32s_v5', 'Standard_D4s_v5', 'Standard_D8s_v5',
    ]);
    const cheap = listInstanceTypes(catalog, { provider: 'aws', region: 'us-east-1', maxHourlyPrice: 0.0416 }, 10, null);
    expect(cheap.edges.map((e) => e.node.instanceType)).toEqual(['t3.medium', 't3.micro', 't3.small']);
  });

  it('refuses a malformed cursor and a bad page size naming the argument', () => {
    const fieldOf = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return (error as AppError).extensions.field;
      }
      return undefined;
    };
    expect(fieldOf(() => listInstanceTypes(catalog, null, 10, 'not-a-cursor'))).toBe('after');
    expect(fieldOf(() => listInstanceTypes(catalog, null, 0, null))).toBe('first');
    expect(fieldOf(() => listInstanceTypes(catalog, { minVcpus: -1 }, 10, null))).toBe('filter.minVcpus');
  });
});

describe('instanceFamily', () => {
  it.each([
    ['aws', 'm6i.large', 'm6i'],
    ['gcp', 'n2-highmem-4', 'n2'],
    ['azure', 'Standard_D4s_v5', 'Dsv5'],
    ['azure', 'Standard_B2ms', 'Bms'],
    ['azure', 'Standard_F16s_v2', 'Fsv2'],
  ])('%s %s is in family %s', (provider, type, family) => {
    expect(instanceFamily(provider, type)).toBe(family);
  });
});
