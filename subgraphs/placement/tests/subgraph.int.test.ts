import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { internalTokenHeader } from '@novacron/auth';
import { createLogger } from '@novacron/server-kit';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { createVmUsageProjection } from '../src/domain/applyVmEvents.ts';
import { placeForOperation } from '../src/domain/decisionStore.ts';
import { validateRequirements } from '../src/domain/validateRequirements.ts';
import { start, type RunningPlacementSubgraph } from '../src/server.ts';
import { createTestKeys } from './support/internalTokens.ts';
import { testConfig } from './support/testConfig.ts';

let database: TestDatabase;
let subgraph: RunningPlacementSubgraph;
let keys: Awaited<ReturnType<typeof createTestKeys>>;
const tokens: Record<string, string> = {};

type Response = { status: number; json: { data?: Record<string, any> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] } };

async function post(body: { query: string; variables?: Record<string, unknown> }, token: string | null): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers[internalTokenHeader] = token;
  const response = await fetch(subgraph.url, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as never };
}

beforeAll(async () => {
  database = await createTestDatabase();
  keys = await createTestKeys();
  for (const tenant of ['acme', 'globex']) {
    for (const role of ['viewer', 'admin'] as const) tokens[`${tenant}:${role}`] = await keys.forUser(tenant, role);
  }
  subgraph = await start(testConfig(database.url, keys.keysDir), createLogger('test', 'silent'));
});
afterAll(async () => {
  await subgraph?.stop();
  await database?.drop();
});

const optionsQuery = `query ($requirements: PlacementRequirements!, $first: Int) {
  placementOptions(requirements: $requirements, first: $first) {
    feasibleCount
    candidates { provider region instanceType vcpus memoryGib hourlyPrice monthlyPrice score gpu { name count } scoreBreakdown { name weight value } }
    rejected { reason count examples { provider region instanceType detail } }
  }
}`;
const entitiesQuery = `query ($representations: [_Any!]!) { _entities(representations: $representations) {
  ... on VM { id placement { chosen { provider region instanceType } reason attempts { outcome instanceType } requirements { vcpus preferRegions } } alternatives(first: 2) { monthlyDifference candidate { provider region instanceType hourlyPrice } } }
} }`;

describe('placement subgraph', () => {
  it('serves its SDL through _service, extending VM by its key', async () => {
    const { json } = await post({ query: '{ _service { sdl } }' }, tokens['acme:viewer']!);
    expect(json.data?._service.sdl).toMatch(/type VM\s+@key\(fields: "id"\)/);
  });

  it('refuses requests without a gateway-signed token', async () => {
    const { status, json } = await post({ query: '{ __typename }' }, null);
    expect(status).toBe(401);
    expect(json.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('ranks placementOptions over the whole catalog, cheapest feasible first', async () => {
    const { json } = await post({ query: optionsQuery, variables: { requirements: { vcpus: 2, memoryGib: 4 }, first: 2 } }, tokens['acme:viewer']!);
    expect(json.errors).toBeUndefined();
    const result = json.data?.placementOptions;
    expect(result.candidates.map((c: { region: string }) => c.region)).toEqual(['us-east-1', 'us-east-2']);
    expect(result.candidates[0]).toMatchObject({ provider: 'aws', instanceType: 't3.medium', hourlyPrice: 0.0416, monthlyPrice: 30.368, score: 1, gpu: null });
    expect(result.rejected.map((r: { reason: string }) => r.reason)).toEqual(['GPU', 'TOO_SMALL']);
  });

  it('answers bad requirements with BAD_USER_INPUT naming the field', async () => {
    const { json } = await post({ query: optionsQuery, variables: { requirements: { vcpus: -1, memoryGib: 4 } } }, tokens['acme:viewer']!);
    expect(json.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'requirements.vcpus' });
    const region = await post({ query: optionsQuery, variables: { requirements: { vcpus: 1, memoryGib: 1, regions: ['us-east-1', 'nowhere-1'] } } }, tokens['acme:viewer']!);
    expect(region.json.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'requirements.regions.1' });
  });

  it('pages instanceTypes with stable cursors', async () => {
    const query = 'query ($after: String) { instanceTypes(filter: { provider: "gcp", region: "us-central1" }, first: 15, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { instanceType family hourlyPrice monthlyPrice } } } }';
    const first = (await post({ query }, tokens['acme:viewer']!)).json.data?.instanceTypes;
    const second = (await post({ query, variables: { after: first.pageInfo.endCursor } }, tokens['acme:viewer']!)).json.data?.instanceTypes;
    expect(first.totalCount).toBe(20);
    expect([first.pageInfo.hasNextPage, second.pageInfo.hasNextPage]).toEqual([true, false]);
    const names = [...first.edges, ...second.edges].map((edge: { node: { instanceType: string } }) => edge.node.instanceType);
    expect(new Set(names).size).toBe(20);
    expect(first.edges[0].node).toEqual({ instanceType: 'c3-standard-22', family: 'c3', hourlyPrice: 1.10884, monthlyPrice: 809.4532 });
  });
});

describe('policies and quotas through the API', () => {
  const setPolicy = 'mutation ($input: PlacementPolicyInput!) { setPlacementPolicy(input: $input) { allowedProviders deniedInstanceFamilies weights { price reliability } } }';
  const setQuota = 'mutation ($input: QuotaInput!) { setQuota(input: $input) { provider region vcpus usedVcpus reservedVcpus } }';

  it('lets only admins change policy and quotas', async () => {
    const policy = await post({ query: setPolicy, variables: { input: { allowedProviders: ['gcp'] } } }, tokens['acme:viewer']!);
    expect(policy.json.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const quota = await post({ query: setQuota, variables: { input: { provider: 'aws', region: 'us-east-1', vcpus: 4 } } }, tokens['acme:viewer']!);
    expect(quota.json.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('applies a tenant’s policy to its own placements only', async () => {
    const { json } = await post({ query: setPolicy, variables: { input: { allowedProviders: ['gcp'], deniedInstanceFamilies: ['e2'] } } }, tokens['acme:admin']!);
    expect(json.data?.setPlacementPolicy).toEqual({ allowedProviders: ['gcp'], deniedInstanceFamilies: ['e2'], weights: { price: 1, reliability: 0 } });
    const requirements = { vcpus: 2, memoryGib: 4 };
    const acme = (await post({ query: optionsQuery, variables: { requirements, first: 1 } }, tokens['acme:viewer']!)).json.data?.placementOptions;
    const globex = (await post({ query: optionsQuery, variables: { requirements, first: 1 } }, tokens['globex:viewer']!)).json.data?.placementOptions;
    // gcp without e2: the cheapest 2 vCPU / >= 4 GiB is t2a-standard-2 in us-central1 ($0.077/h).
    expect(acme.candidates[0]).toMatchObject({ provider: 'gcp', region: 'us-central1', instanceType: 't2a-standard-2', hourlyPrice: 0.077 });
    expect(acme.rejected.find((r: { reason: string }) => r.reason === 'POLICY').count).toBeGreaterThan(0);
    expect(globex.candidates[0]).toMatchObject({ provider: 'aws', instanceType: 't3.medium' });
    const policies = await Promise.all(['acme', 'globex'].map(async (tenant) => (await post({ query: '{ placementPolicy { allowedProviders } }' }, tokens[`${tenant}:viewer`]!)).json.data?.placementPolicy));
    expect(policies).toEqual([{ allowedProviders: ['gcp'] }, { allowedProviders: null }]);
  });

  it('keeps quotas per tenant, and a quota rules out offerings that would exceed it', async () => {
    const set = await post({ query: setQuota, variables: { input: { provider: 'aws', region: 'us-east-1', vcpus: 1 } } }, tokens['globex:admin']!);
    expect(set.json.data?.setQuota).toEqual({ provider: 'aws', region: 'us-east-1', vcpus: 1, usedVcpus: 0, reservedVcpus: 0 });
    const options = (await post({ query: optionsQuery, variables: { requirements: { vcpus: 2, memoryGib: 4, providers: ['aws'], regions: ['us-east-1'] } } }, tokens['globex:viewer']!)).json.data?.placementOptions;
    expect(options.candidates).toEqual([]);
    expect(options.rejected.find((r: { reason: string }) => r.reason === 'QUOTA').count).toBe(23);
    const quotas = await Promise.all(['acme', 'globex'].map(async (tenant) => (await post({ query: '{ quotas { provider region vcpus } }' }, tokens[`${tenant}:viewer`]!)).json.data?.quotas));
    expect(quotas).toEqual([[], [{ provider: 'aws', region: 'us-east-1', vcpus: 1 }]]);
    const bad = await post({ query: setQuota, variables: { input: { provider: 'aws', region: 'westeurope', vcpus: 4 } } }, tokens['globex:admin']!);
    expect(bad.json.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.region' });
  });

  it('answers placementOptions from cached tenant state, yet shows a policy or quota change right after its mutation', async () => {
    const admin = await keys.forUser('hooli', 'admin');
    const requirements = { vcpus: 2, memoryGib: 4, providers: ['aws'], regions: ['us-east-1'] };
    const options = async () => (await post({ query: optionsQuery, variables: { requirements, first: 1 } }, admin)).json.data?.placementOptions;
    const before = await options(); // loads and caches hooli's state
    expect(before.candidates[0]).toMatchObject({ instanceType: 't3.medium' });
    expect(await options()).toEqual(before);
    await post({ query: setPolicy, variables: { input: { deniedInstanceFamilies: ['t3'] } } }, admin);
    expect((await options()).candidates[0]?.instanceType).not.toMatch(/^t3\./);
    await post({ query: setQuota, variables: { input: { provider: 'aws', region: 'us-east-1', vcpus: 1 } } }, admin);
    const limited = await options();
    expect(limited.candidates).toEqual([]);
    expect(limited.rejected.find((r: { reason: string }) => r.reason === 'QUOTA')?.count).toBeGreaterThan(0);
  });
});

describe('VM entity fields', () => {
  it('shows a VM’s placement decision and alternatives to its own tenant only', async () => {
    const { db, catalog, config } = subgraph.services;
    const vmId = randomUUID();
    const requirements = validateRequirements(catalog, { vcpus: 2, memoryGib: 8, providers: ['azure'], preferRegions: ['westus2'] });
    await placeForOperation(db, catalog, { tenantId: 'globex', operationId: randomUUID(), vmId, requirements, windows: config.placement, reservationTtlSeconds: 600 });
    const apply = createVmUsageProjection(catalog);
    const at = new Date().toISOString();
    const payload = { id: vmId, tenantId: 'globex', name: 'web', provider: 'azure', region: 'westus2', instanceType: 'Standard_B2ms', image: 'ubuntu-24.04', status: 'RUNNING', providerId: 'vm-1', labels: {}, version: 1, createdAt: at, updatedAt: at };
    await db.transaction((tx) => apply(tx, [{ cursor: 'c1', tenantId: 'globex', entityId: vmId, type: 'CREATED', version: 1, occurredAt: new Date().toISOString(), payload }]));

    const own = (await post({ query: entitiesQuery, variables: { representations: [{ __typename: 'VM', id: vmId }] } }, tokens['globex:viewer']!)).json;
    expect(own.errors).toBeUndefined();
    const vm = own.data?._entities[0];
    // Azure, 2 vCPUs / >= 8 GiB: Standard_B2ms is $0.0832/h in every Azure region; westus2 is preferred.
    expect(vm.placement.chosen).toEqual({ provider: 'azure', region: 'westus2', instanceType: 'Standard_B2ms' });
    expect(vm.placement.attempts).toEqual([{ outcome: 'PENDING', instanceType: 'Standard_B2ms' }]);
    expect(vm.placement.requirements).toEqual({ vcpus: 2, preferRegions: ['westus2'] });
    expect(vm.placement.reason).toContain('the best of');
    expect(vm.alternatives).toHaveLength(2);
    expect(vm.alternatives.every((alternative: { monthlyDifference: number }) => alternative.monthlyDifference <= 0)).toBe(true);

    const foreign = (await post({ query: entitiesQuery, variables: { representations: [{ __typename: 'VM', id: vmId }] } }, tokens['acme:viewer']!)).json;
    expect(foreign.data?._entities[0]).toEqual({ id: vmId, placement: null, alternatives: [] });
  });
});

describe('internal placement calls (the vms create path)', () => {
  const placeVm = `mutation ($operationId: ID!, $vmId: ID, $requirements: PlacementRequirements!, $tenantId: String) {
    _placeVm(operationId: $operationId, vmId: $vmId, requirements: $requirements, tenantId: $tenantId) { chosen { provider region instanceType } attempts { instanceType outcome } }
  }`;
  const report = `mutation ($operationId: ID!, $outcome: PlacementAttemptOutcome!, $tenantId: String) {
    _reportPlacementAttempt(operationId: $operationId, outcome: $outcome, message: "ZONE_RESOURCE_POOL_EXHAUSTED", tenantId: $tenantId) { chosen { instanceType } attempts { instanceType outcome message } }
  }`;
  const requirements = { vcpus: 2, memoryGib: 4, providers: ['gcp'], regions: ['europe-west1'] };

  it('places as the creating operator, then moves to the next candidate on a capacity failure reported by NovaCron', async () => {
    const operator = await keys.forUser('initech', 'operator');
    const operationId = randomUUID();
    const placed = await post({ query: placeVm, variables: { operationId, vmId: randomUUID(), requirements } }, operator);
    expect(placed.json.errors).toBeUndefined();
    const first = placed.json.data?._placeVm.chosen;
    expect(first).toMatchObject({ provider: 'gcp', region: 'europe-west1' });
    const system = await keys.sign({ system: true, subject: 'vms/worker' });
    const withoutTenant = await post({ query: report, variables: { operationId, outcome: 'CAPACITY_FAILURE' } }, system);
    expect(withoutTenant.json.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'tenantId' });
    const moved = (await post({ query: report, variables: { operationId, outcome: 'CAPACITY_FAILURE', tenantId: 'initech' } }, system)).json.data?._reportPlacementAttempt;
    expect(moved.attempts).toEqual([
      { instanceType: first.instanceType, outcome: 'CAPACITY_FAILURE', message: 'ZONE_RESOURCE_POOL_EXHAUSTED' },
      { instanceType: moved.chosen.instanceType, outcome: 'PENDING', message: null },
    ]);
    expect(moved.chosen.instanceType).not.toBe(first.instanceType);
  });

  it('refuses viewers, and answers QUOTA_EXCEEDED beyond the quota with nothing placed', async () => {
    const viewer = await post({ query: placeVm, variables: { operationId: randomUUID(), requirements } }, tokens['acme:viewer']!);
    expect(viewer.json.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const admin = await keys.forUser('umbrella', 'admin');
    await post({ query: 'mutation { setQuota(input: { provider: "gcp", region: "europe-west1", vcpus: 1 }) { vcpus } }' }, admin);
    const refused = await post({ query: placeVm, variables: { operationId: randomUUID(), requirements } }, admin);
    expect(refused.json.errors?.[0]?.extensions?.code).toBe('QUOTA_EXCEEDED');
    const reserve = 'mutation ($operationId: ID!) { _reserveCapacity(operationId: $operationId, provider: "gcp", region: "europe-west1", instanceType: "e2-standard-2") }';
    expect((await post({ query: reserve, variables: { operationId: randomUUID() } }, admin)).json.errors?.[0]?.extensions?.code).toBe('QUOTA_EXCEEDED');
    expect((await post({ query: '{ quotas { reservedVcpus } }' }, admin)).json.data?.quotas).toEqual([{ reservedVcpus: 0 }]);
  });
});
