import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { internalTokenHeader } from '@novacron/auth';
import { encodeEventCursor, type FeedEntry, type FeedFetcher } from '@novacron/events';
import { createLogger, responseMaxAgeHeader } from '@novacron/server-kit';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { followVmUsage, start, type RunningPlacementSubgraph } from '../src/server.ts';
import { createTestKeys } from './support/internalTokens.ts';
import { testConfig } from './support/testConfig.ts';

let database: TestDatabase;
let subgraph: RunningPlacementSubgraph;
let keys: Awaited<ReturnType<typeof createTestKeys>>;

type Body = { data?: Record<string, any> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };

async function post(body: { query: string; variables?: Record<string, unknown> }, token: string | null): Promise<{ status: number; json: Body; maxAge: string | null }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers[internalTokenHeader] = token;
  const response = await fetch(subgraph.url, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as Body, maxAge: response.headers.get(responseMaxAgeHeader) };
}

beforeAll(async () => {
  database = await createTestDatabase();
  keys = await createTestKeys();
  const config = testConfig(database.url, keys.keysDir);
  // States kept a minute: every recomputation below comes from a version change, none from age.
  subgraph = await start({ ...config, placement: { ...config.placement, stateMaxAgeMs: 60_000 } }, createLogger('test', 'silent'));
});
afterAll(async () => {
  await subgraph?.stop();
  await database?.drop();
});

const optionsQuery = `query Options($requirements: PlacementRequirements!) {
  placementOptions(requirements: $requirements, first: 3) {
    feasibleCount
    candidates { provider region instanceType hourlyPrice score scoreBreakdown { name weight value } }
    rejected { reason count }
  }
}`;
const setPolicy = 'mutation ($input: PlacementPolicyInput!) { setPlacementPolicy(input: $input) { allowedProviders } }';
const setQuota = 'mutation ($input: QuotaInput!) { setQuota(input: $input) { vcpus } }';
const inUsEast1 = { vcpus: 2, memoryGib: 4, providers: ['aws'], regions: ['us-east-1'] };

const stats = () => subgraph.services.responseCache!.stats();
const tenant = () => `t-${randomUUID().slice(0, 8)}`;

/** Posts the options query and says whether the cache answered it (its hit count moved). */
async function options(token: string, requirements: Record<string, unknown> = inUsEast1): Promise<{ result: any; cached: boolean }> {
  const hits = stats().hits;
  const { json } = await post({ query: optionsQuery, variables: { requirements } }, token);
  expect(json.errors).toBeUndefined();
  return { result: json.data?.placementOptions, cached: stats().hits > hits };
}

describe('placementOptions response cache', () => {
  it('answers a repeated query from the cache with the executed answer', async () => {
    const viewer = await keys.forUser(tenant(), 'viewer');
    const first = await options(viewer);
    expect(first.cached).toBe(false);
    expect(first.result.candidates[0]).toMatchObject({ provider: 'aws', region: 'us-east-1', instanceType: 't3.medium' });
    const second = await options(viewer);
    expect(second).toEqual({ result: first.result, cached: true });
    // Other variables are another entry.
    expect((await options(viewer, { ...inUsEast1, vcpus: 4 })).cached).toBe(false);
  });

  it('recomputes after a policy or quota write of the tenant', async () => {
    const id = tenant();
    const [viewer, admin] = [await keys.forUser(id, 'viewer'), await keys.forUser(id, 'admin')];
    await options(viewer);
    expect((await options(viewer)).cached).toBe(true);
    await post({ query: setPolicy, variables: { input: { deniedInstanceFamilies: ['t3'] } } }, admin);
    const denied = await options(viewer);
    expect(denied.cached).toBe(false);
    expect(denied.result.candidates[0].instanceType).not.toMatch(/^t3\./);
    expect((await options(viewer)).cached).toBe(true);
    await post({ query: setQuota, variables: { input: { provider: 'aws', region: 'us-east-1', vcpus: 1 } } }, admin);
    const limited = await options(viewer);
    expect(limited.cached).toBe(false);
    expect(limited.result.candidates).toEqual([]);
    expect(limited.result.rejected.find((r: { reason: string }) => r.reason === 'QUOTA')?.count).toBeGreaterThan(0);
  });

  it('recomputes after a followed VM event changes the tenant’s usage', async () => {
    const id = tenant();
    const [viewer, admin] = [await keys.forUser(id, 'viewer'), await keys.forUser(id, 'admin')];
    await post({ query: setQuota, variables: { input: { provider: 'aws', region: 'us-east-1', vcpus: 2 } } }, admin);
    const before = await options(viewer);
    expect(before.result.candidates[0]).toMatchObject({ instanceType: 't3.medium' });
    expect((await options(viewer)).cached).toBe(true);

    // The vms feed as the follower reads it: one VM of the tenant, running on a 2-vCPU type in us-east-1.
    const vmId = randomUUID();
    const at = new Date().toISOString();
    const position = { stream: 'vms.vm', txid: '900', seq: 1 };
    const entry: FeedEntry = {
      cursor: encodeEventCursor(position), position, tenantId: id, entityId: vmId, keys: [vmId], version: 1, type: 'CREATED', terminal: false, occurredAt: at,
      payload: { id: vmId, tenantId: id, name: 'web', provider: 'aws', region: 'us-east-1', instanceType: 't3.medium', image: 'ubuntu-24.04', status: 'RUNNING', providerId: 'i-1', labels: {}, version: 1, createdAt: at, updatedAt: at },
    };
    const feed: FeedFetcher = async ({ after }) => (after === entry.cursor ? { entries: [], endCursor: entry.cursor } : { entries: [entry], endCursor: entry.cursor });
    const follower = followVmUsage(subgraph.services, { feed, logger: createLogger('test', 'silent') });
    try {
      await follower.caughtUp();
      expect(follower.applied()).toBe(1);
    } finally {
      await follower.stop();
    }
    const after = await options(viewer);
    expect(after.cached).toBe(false);
    expect(after.result.candidates).toEqual([]);
    expect(after.result.rejected.find((r: { reason: string }) => r.reason === 'QUOTA')?.count).toBeGreaterThan(0);
  });

  it('keeps tenants apart: another tenant neither reads an entry nor loses one by a write', async () => {
    const [a, b] = [tenant(), tenant()];
    const [viewerA, adminA, viewerB, adminB] = [await keys.forUser(a, 'viewer'), await keys.forUser(a, 'admin'), await keys.forUser(b, 'viewer'), await keys.forUser(b, 'admin')];
    await post({ query: setPolicy, variables: { input: { allowedProviders: ['gcp'] } } }, adminB);
    const cachedA = await options(viewerA, { vcpus: 2, memoryGib: 4 });
    expect(cachedA.result.candidates[0].provider).toBe('aws');
    const forB = await options(viewerB, { vcpus: 2, memoryGib: 4 });
    expect(forB.cached).toBe(false);
    expect(forB.result.candidates.every((c: { provider: string }) => c.provider === 'gcp')).toBe(true);
    await post({ query: setQuota, variables: { input: { provider: 'aws', region: 'us-east-1', vcpus: 1 } } }, adminA);
    expect((await options(viewerB, { vcpus: 2, memoryGib: 4 })).cached).toBe(true);
    expect((await options(viewerA, { vcpus: 2, memoryGib: 4 })).cached).toBe(false);
  });

  it('keeps roles apart, and never answers a caller without a valid token', async () => {
    const id = tenant();
    const [viewer, admin] = [await keys.forUser(id, 'viewer'), await keys.forUser(id, 'admin')];
    await options(viewer);
    expect((await options(viewer)).cached).toBe(true);
    expect((await options(admin)).cached).toBe(false);
    expect((await options(admin)).cached).toBe(true);
    const refused = await post({ query: optionsQuery, variables: { requirements: inUsEast1 } }, null);
    expect(refused.status).toBe(401);
    expect(refused.json.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const forged = await post({ query: optionsQuery, variables: { requirements: inUsEast1 } }, `${viewer.slice(0, -4)}AAAA`);
    expect(forged.json.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('stores no answer with errors and no query selecting other fields', async () => {
    const viewer = await keys.forUser(tenant(), 'viewer');
    const bad = { query: optionsQuery, variables: { requirements: { vcpus: -1, memoryGib: 4 } } };
    const stored = stats().stored;
    expect((await post(bad, viewer)).json.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'requirements.vcpus' });
    expect((await post(bad, viewer)).json.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const mixed = { query: `query ($requirements: PlacementRequirements!) { quotas { vcpus } placementOptions(requirements: $requirements) { feasibleCount } }`, variables: { requirements: inUsEast1 } };
    expect((await post(mixed, viewer)).json.data?.quotas).toEqual([]);
    expect(stats().stored).toBe(stored);
  });

  it('tells a cache in front how long an answer stays fresh: the state lease for placementOptions, never for VM.alternatives', async () => {
    const viewer = await keys.forUser(tenant(), 'viewer');
    const body = { query: optionsQuery, variables: { requirements: { ...inUsEast1, vcpus: 8 } } };
    const executed = await post(body, viewer);
    const cached = await post(body, viewer);
    expect(cached.json).toEqual(executed.json);
    // The state is kept 60 s in this suite: both carry what is left of it, the cached one no more than the executed one.
    const [executedMs, cachedMs] = [Number(executed.maxAge), Number(cached.maxAge)];
    expect(executedMs).toBeGreaterThan(0);
    expect(executedMs).toBeLessThanOrEqual(60_000);
    expect(cachedMs).toBeGreaterThan(0);
    expect(cachedMs).toBeLessThanOrEqual(executedMs);
    // Fields that do not rank against a lease: no bound (the gateway's invalidation by events and mutations decides).
    expect((await post({ query: '{ quotas { vcpus } }' }, viewer)).maxAge).toBeNull();
    // VM.alternatives reads state fresh, outside a lease: not to be served again.
    const alternatives = await post(
      { query: 'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on VM { alternatives(first: 1) { monthlyDifference } } } }', variables: { representations: [{ __typename: 'VM', id: randomUUID() }] } },
      viewer,
    );
    expect(alternatives.maxAge).toBe('0');
  });
});
