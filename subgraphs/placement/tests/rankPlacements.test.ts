import { describe, expect, it } from 'vitest';
import { loadCatalog } from '@novacron/catalog';
import { AppError } from '@novacron/errors';
import { emptyPlacementState, defaultPolicy, type PlacementState } from '../src/domain/PlacementPolicy.ts';
import { placementOptions } from '../src/domain/placementOptions.ts';
import { rankPlacements } from '../src/domain/rankPlacements.ts';
import type { PlacementRequirementsInput } from '../src/domain/validateRequirements.ts';
import { validateWeights } from '../src/domain/weights.ts';

// Expectations below are computed by hand from rows of packages/catalog/data/instance-prices.csv
// (1,328 rows: aws 578, gcp 615, azure 135; aws us-east-1 has 27 types, gcp us-central1 20).
const catalog = loadCatalog();
const state = emptyPlacementState();
const small = { vcpus: 2, memoryGib: 4 };
const awsUsEast1 = { providers: ['aws'], regions: ['us-east-1'] };

const place = (input: PlacementRequirementsInput, first = 5, placementState: PlacementState = state) => placementOptions(catalog, placementState, input, first);
const names = (result: ReturnType<typeof place>) => result.candidates.map((c) => `${c.provider}/${c.region}/${c.instanceType}`);
const reasons = (result: ReturnType<typeof place>) => Object.fromEntries(result.rejected.map((r) => [r.reason, r.count]));

function badInputField(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).extensions.code).toBe('BAD_USER_INPUT');
    return (error as AppError).extensions.field as string;
  }
  throw new Error('expected BAD_USER_INPUT');
}

describe('placementOptions ranking with default weights', () => {
  it('puts the cheapest feasible offering first and scores the rest by price ratio', () => {
    const result = place({ ...small, ...awsUsEast1 }, 3);
    // t3.micro (1 GiB) and t3.small (2 GiB) are too small; g5/p4d carry GPUs nobody asked for.
    expect(names(result)).toEqual(['aws/us-east-1/t3.medium', 'aws/us-east-1/m7g.large', 'aws/us-east-1/t3.large']);
    const [first, second, third] = result.candidates;
    expect(first).toMatchObject({ vcpus: 2, memoryGib: 4, hourlyPrice: 0.0416, monthlyPrice: 30.368, score: 1 });
    expect(second).toMatchObject({ hourlyPrice: 0.0816, monthlyPrice: 59.568, score: 0.509804 }); // 0.0416 / 0.0816
    expect(third).toMatchObject({ hourlyPrice: 0.0832, score: 0.5 });
    expect(first?.scoreBreakdown).toEqual([
      { name: 'price', weight: 1, value: 1 },
      { name: 'regionPreference', weight: 0, value: 0 },
      { name: 'reliability', weight: 0, value: 1 },
      { name: 'headroom', weight: 0, value: 1 },
    ]);
    expect(result.feasibleCount).toBe(23);
    expect(reasons(result)).toEqual({ PROVIDER_NOT_ALLOWED: 750, REGION_NOT_ALLOWED: 551, GPU: 2, TOO_SMALL: 2 });
  });

  it('breaks equal prices by provider, region and type name across the whole catalog', () => {
    // Eight offerings cost $0.0416/h for 2 vCPUs / 4 GiB: t3.medium in three AWS regions, Standard_B2s in five Azure ones.
    const result = place(small, 5);
    expect(names(result)).toEqual(['aws/us-east-1/t3.medium', 'aws/us-east-2/t3.medium', 'aws/us-west-2/t3.medium', 'azure/eastus/Standard_B2s', 'azure/eastus2/Standard_B2s']);
    expect(result.candidates.every((c) => c.score === 1)).toBe(true);
  });

  it('lets preferRegions decide between equal prices without outranking a cheaper offering', () => {
    const result = place({ ...small, providers: ['aws'], preferRegions: ['us-west-2', 'eu-north-1'] }, 4);
    expect(names(result)).toEqual(['aws/us-west-2/t3.medium', 'aws/us-east-1/t3.medium', 'aws/us-east-2/t3.medium', 'aws/eu-north-1/t3.medium']);
    expect(result.candidates[0]?.scoreBreakdown.find((t) => t.name === 'regionPreference')?.value).toBe(1);
    expect(result.candidates[3]?.scoreBreakdown.find((t) => t.name === 'regionPreference')?.value).toBe(0.5);
  });

  it('uses spot prices for spot requests', () => {
    const result = place({ ...small, ...awsUsEast1, spot: true }, 2);
    // Spot: c6i.large $0.012, t3.medium $0.017 (on-demand order would be the reverse).
    expect(names(result)).toEqual(['aws/us-east-1/c6i.large', 'aws/us-east-1/t3.medium']);
    expect(result.candidates[0]).toMatchObject({ spot: true, hourlyPrice: 0.012, monthlyPrice: 8.76, score: 1 });
    expect(result.candidates[1]?.score).toBe(0.705882); // 0.012 / 0.017
  });

  it('gives the same order whatever the order of the catalog rows', () => {
    const forwards = rankPlacements(catalog.entries, { vcpus: 2, memoryGib: 4, arch: null, gpu: null, providers: null, regions: null, preferRegions: [], maxHourlyPrice: null, spot: false }, state, 50);
    const backwards = rankPlacements([...catalog.entries].reverse(), { vcpus: 2, memoryGib: 4, arch: null, gpu: null, providers: null, regions: null, preferRegions: [], maxHourlyPrice: null, spot: false }, state, 50);
    expect(backwards).toEqual(forwards);
  });

  it('accounts for every catalog row: rejections plus feasible offerings', () => {
    const result = place({ vcpus: 8, memoryGib: 30, regions: ['us-east-1', 'eastus', 'us-central1'], maxHourlyPrice: 0.4 }, 1);
    const rejected = result.rejected.reduce((sum, r) => sum + r.count, 0);
    expect(rejected + result.feasibleCount).toBe(catalog.entries.length);
  });
});

describe('placementOptions rejection reasons', () => {
  it('ARCH: only arm64 types for an arm64 request', () => {
    const result = place({ ...small, ...awsUsEast1, arch: 'arm64' }, 1);
    expect(names(result)).toEqual(['aws/us-east-1/m7g.large']);
    expect(reasons(result).ARCH).toBe(23); // 27 types, 4 of them m7g
    expect(result.rejected.find((r) => r.reason === 'ARCH')?.examples[0]).toEqual({ provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', detail: 'x86_64, not arm64' });
  });

  it('GPU: the requested accelerator, and no accelerators when none is requested', () => {
    const gpu = place({ vcpus: 1, memoryGib: 1, regions: ['us-east-1'], gpu: { name: 'A10G', count: 1 } }, 1);
    expect(names(gpu)).toEqual(['aws/us-east-1/g5.xlarge']);
    expect(gpu.candidates[0]).toMatchObject({ gpuName: 'A10G', gpuCount: 1, hourlyPrice: 1.006 });
    expect(reasons(gpu).GPU).toBe(26);
    const tooMany = place({ vcpus: 1, memoryGib: 1, regions: ['us-east-1'], gpu: { name: 'A10G', count: 2 } }, 1);
    expect(tooMany.candidates).toEqual([]);
    expect(reasons(tooMany).GPU).toBe(27);
  });

  it('TOO_SMALL: fewer vCPUs or less memory, with the cheapest as examples', () => {
    const result = place({ ...small, ...awsUsEast1 });
    const tooSmall = result.rejected.find((r) => r.reason === 'TOO_SMALL');
    expect(tooSmall?.examples).toEqual([
      { provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', detail: '2 vCPUs / 1 GiB, needs 2 vCPUs / 4 GiB' },
      { provider: 'aws', region: 'us-east-1', instanceType: 't3.small', detail: '2 vCPUs / 2 GiB, needs 2 vCPUs / 4 GiB' },
    ]);
  });

  it('OVER_PRICE: above the request maxHourlyPrice', () => {
    const result = place({ ...small, ...awsUsEast1, maxHourlyPrice: 0.09 }, 10);
    expect(names(result)).toEqual(['aws/us-east-1/t3.medium', 'aws/us-east-1/m7g.large', 'aws/us-east-1/t3.large', 'aws/us-east-1/c6i.large']);
    expect(reasons(result).OVER_PRICE).toBe(19);
    expect(result.rejected.find((r) => r.reason === 'OVER_PRICE')?.examples.map((e) => e.instanceType)).toEqual(['m6i.large', 'r6i.large', 'm7g.xlarge']);
  });

  it('NO_SPOT_PRICE: spot requests skip offerings without a spot price', () => {
    const result = place({ ...small, providers: ['azure'], regions: ['eastus'], spot: true }, 2);
    expect(reasons(result).NO_SPOT_PRICE).toBe(2); // Standard_B2s and Standard_B2ms
    expect(names(result)).toEqual(['azure/eastus/Standard_F2s_v2', 'azure/eastus/Standard_D2s_v5']);
    expect(result.candidates[0]?.hourlyPrice).toBe(0.009306);
  });

  it('POLICY: denied families, providers, regions and the price cap', () => {
    const denyT3 = emptyPlacementState({ ...defaultPolicy, deniedInstanceFamilies: ['t3'] });
    const result = place({ ...small, ...awsUsEast1 }, 1, denyT3);
    expect(names(result)).toEqual(['aws/us-east-1/m7g.large']);
    expect(reasons(result).POLICY).toBe(4); // t3.medium, t3.large, t3.xlarge, t3.2xlarge
    expect(result.rejected.find((r) => r.reason === 'POLICY')?.examples[0]?.detail).toBe('the tenant policy denies the t3 family');

    const gcpOnly = emptyPlacementState({ ...defaultPolicy, allowedProviders: ['gcp'], maxHourlyPrice: 0.1 });
    const gcp = place(small, 1, gcpOnly);
    expect(names(gcp)).toEqual(['gcp/us-central1/e2-standard-2']);
    expect(gcp.candidates[0]?.hourlyPrice).toBe(0.06701);
  });

  it('RECENT_CAPACITY_FAILURE: a blocked offering is skipped for the next one', () => {
    const blocked = { ...emptyPlacementState(), blocked: new Set(['aws/us-east-1/t3.medium']) };
    const result = place({ ...small, ...awsUsEast1 }, 1, blocked);
    expect(names(result)).toEqual(['aws/us-east-1/m7g.large']);
    expect(result.rejected.find((r) => r.reason === 'RECENT_CAPACITY_FAILURE')).toEqual({
      reason: 'RECENT_CAPACITY_FAILURE',
      count: 1,
      examples: [{ provider: 'aws', region: 'us-east-1', instanceType: 't3.medium', detail: 'a create failed for lack of capacity recently' }],
    });
  });

  it('QUOTA: offerings that would exceed the vCPU quota of their provider/region', () => {
    const quota = { ...emptyPlacementState(), quotas: new Map([['aws/us-east-1', 4]]), usage: new Map([['aws/us-east-1', 2]]) };
    const result = place({ ...small, ...awsUsEast1 }, 10, quota);
    expect(result.feasibleCount).toBe(6); // the six 2-vCPU types with >= 4 GiB
    expect(reasons(result).QUOTA).toBe(17);
    expect(result.candidates[0]?.scoreBreakdown.find((t) => t.name === 'headroom')?.value).toBe(0); // 4 - 2 - 2 left of 4
  });
});

describe('placementOptions with policy weights', () => {
  it('trades price for reliability and headroom as weighted (hand-computed scores)', () => {
    const weighted: PlacementState = {
      policy: { ...defaultPolicy, weights: validateWeights('weights', { price: 2, reliability: 1, headroom: 1 }) },
      quotas: new Map([['gcp/us-central1', 40]]),
      usage: new Map([['gcp/us-central1', 20]]),
      blocked: new Set(),
      outcomes: new Map([['gcp/us-central1/e2-standard-4', { succeeded: 1, failed: 2 }]]),
    };
    const result = place({ vcpus: 4, memoryGib: 16, providers: ['gcp'], regions: ['us-central1'] }, 2, weighted);
    // t2a-standard-4: price 0.13402/0.154 = 0.87026, reliability 1, headroom (40-20-4)/40 = 0.4 → (2×0.87026 + 1 + 0.4)/4 = 0.78513
    // e2-standard-4 (cheapest): price 1, reliability (1+1)/(3+1) = 0.5, headroom 0.4 → (2 + 0.5 + 0.4)/4 = 0.725
    expect(names(result)).toEqual(['gcp/us-central1/t2a-standard-4', 'gcp/us-central1/e2-standard-4']);
    expect(result.candidates.map((c) => c.score)).toEqual([0.78513, 0.725]);
    expect(result.candidates[0]?.scoreBreakdown).toEqual([
      { name: 'price', weight: 2, value: 0.87026 },
      { name: 'regionPreference', weight: 0, value: 0 },
      { name: 'reliability', weight: 1, value: 1 },
      { name: 'headroom', weight: 1, value: 0.4 },
    ]);
    expect(reasons(result)).toEqual({ PROVIDER_NOT_ALLOWED: 713, REGION_NOT_ALLOWED: 595, TOO_SMALL: 5, QUOTA: 2 });
    expect(result.feasibleCount).toBe(13);
  });

  it('refuses weights that are negative or all zero', () => {
    expect(badInputField(() => validateWeights('input.weights', { price: -1 }))).toBe('input.weights.price');
    expect(badInputField(() => validateWeights('input.weights', { price: 0 }))).toBe('input.weights');
  });
});

describe('placementOptions validation', () => {
  it.each([
    [{ vcpus: -2, memoryGib: 4 }, 'requirements.vcpus'],
    [{ vcpus: 1.5, memoryGib: 4 }, 'requirements.vcpus'],
    [{ vcpus: 2, memoryGib: -1 }, 'requirements.memoryGib'],
    [{ vcpus: 2, memoryGib: 4, arch: 'sparc' }, 'requirements.arch'],
    [{ vcpus: 2, memoryGib: 4, providers: ['aws', 'oracle'] }, 'requirements.providers.1'],
    [{ vcpus: 2, memoryGib: 4, providers: [] }, 'requirements.providers'],
    [{ vcpus: 2, memoryGib: 4, regions: ['mars-north-1'] }, 'requirements.regions.0'],
    [{ vcpus: 2, memoryGib: 4, preferRegions: ['us-east-1', 'atlantis'] }, 'requirements.preferRegions.1'],
    [{ vcpus: 2, memoryGib: 4, gpu: { name: 'H100', count: 1 } }, 'requirements.gpu.name'],
    [{ vcpus: 2, memoryGib: 4, gpu: { name: 'A100', count: 0 } }, 'requirements.gpu.count'],
    [{ vcpus: 2, memoryGib: 4, maxHourlyPrice: 0 }, 'requirements.maxHourlyPrice'],
  ] satisfies [PlacementRequirementsInput, string][])('refuses %j naming %s', (input, field) => {
    expect(badInputField(() => place(input))).toBe(field);
  });

  it('refuses a page size out of range', () => {
    expect(badInputField(() => place(small, 101))).toBe('first');
  });
});
