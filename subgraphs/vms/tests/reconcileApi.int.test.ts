import { randomBytes, randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { internalTokenHeader } from '@novacron/auth';
import { encodeEventCursor } from '@novacron/events';
import { injectDrift } from '@novacron/providers';
import { createLogger } from '@novacron/server-kit';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { vmEvents, vms } from '../src/db/schema.ts';
import { requestCreate } from '../src/domain/requestOperation.ts';
import { start, type RunningVmsSubgraph } from '../src/server.ts';
import { executeOperation } from '../src/worker/executeOperation.ts';
import { createTestKeys } from './support/internalTokens.ts';
import { testConfig } from './support/testConfig.ts';

let database: TestDatabase;
let subgraph: RunningVmsSubgraph;
let keys: Awaited<ReturnType<typeof createTestKeys>>;
const tenantId = `acme-${randomBytes(3).toString('hex')}`;

type Result = { data?: Record<string, any> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };

async function post(token: string, query: string, variables: Record<string, unknown> = {}): Promise<Result> {
  const response = await fetch(subgraph.url, { method: 'POST', headers: { 'content-type': 'application/json', [internalTokenHeader]: token }, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as Result;
}

beforeAll(async () => {
  database = await createTestDatabase();
  keys = await createTestKeys();
  const security = { internalTokenPublicKeyPem: undefined, internalTokenPrivateKeyPem: undefined, internalTokenKeyId: 'internal-1', credentialKeys: undefined, credentialActiveKeyId: undefined, keysDir: keys.keysDir };
  // The loop runs every 100 ms here: the drift test waits for it rather than asking.
  subgraph = await start(testConfig(database.url, { security, reconcile: { intervalMs: 100 } }), createLogger('test', 'silent'));
});
afterAll(async () => {
  await subgraph?.stop();
  await database?.drop();
});

/** A region of the simulated gcp with two instance types, and an image. */
function spec() {
  const description = subgraph.services.providers.get('gcp')!.describe();
  const region = description.regions.find((candidate) => candidate.instanceTypes.length >= 2)!;
  return { region: region.name, instanceType: region.instanceTypes[0]!.name, other: region.instanceTypes[1]!.name, image: description.capabilities.images[0]! };
}

async function runningVm(name: string) {
  const { services } = subgraph;
  const { region, instanceType, image } = spec();
  const operation = await requestCreate(services, tenantId, { name, provider: 'gcp', region, instanceType, image }, null);
  await executeOperation({ db: services.db, providers: services.providers, logger: createLogger('test', 'silent'), workerId: 'test', leaseSeconds: 30, retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 }, maxRedrives: 3, transitionTimeoutSeconds: 30 }, operation.id);
  const [vm] = await services.db.select().from(vms).where(eq(vms.id, operation.vmId));
  expect(vm?.status).toBe('RUNNING');
  return vm!;
}

async function until<T>(read: () => Promise<T | undefined>): Promise<T> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const value = await read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the condition never held');
}

describe('the reconciler through the vms API', () => {
  it('applies drift on its interval and shows it on the DRIFTED event', async () => {
    const vm = await runningVm('drifts-on-its-own');
    const { instanceType, other } = spec();
    await injectDrift(database.sql, { provider: 'gcp', providerId: vm.providerId!, state: 'STOPPED', instanceType: other });
    const event = await until(async () => (await subgraph.services.db.select().from(vmEvents).where(eq(vmEvents.vmId, vm.id))).find((row) => row.type === 'DRIFTED'));
    const viewer = await keys.forUser(tenantId, 'viewer');
    const cursor = encodeEventCursor({ stream: 'vms.vm', txid: event.txid, seq: event.seq });
    const result = await post(viewer, 'query ($cursor: String!) { vmEventAt(cursor: $cursor) { type vm { id status instanceType } drift { before { status instanceType } after { status instanceType } reason } } }', { cursor });
    expect(result.errors).toBeUndefined();
    expect(result.data?.vmEventAt).toEqual({
      type: 'DRIFTED',
      vm: { id: vm.id, status: 'STOPPED', instanceType: other },
      drift: { before: { status: 'RUNNING', instanceType }, after: { status: 'STOPPED', instanceType: other }, reason: null },
    });
  });

  it('lists orphans page by page after reconcileProvider, for admins only', async () => {
    const driver = subgraph.services.providers.get('gcp')!;
    const made = [];
    for (const name of ['orphan-a', 'orphan-b']) {
      const { region, instanceType, image } = spec();
      made.push(await driver.create({ clientToken: randomUUID(), name, region, instanceType, image, labels: {}, vmId: randomUUID(), tenantId }));
    }
    const admin = await keys.forUser(tenantId, 'admin');
    const reconciled = await post(admin, 'mutation { reconcileProvider(provider: "gcp") { provider orphans deletedOrphans } }');
    expect(reconciled.errors).toBeUndefined();
    expect([...reconciled.data?.reconcileProvider.orphans].sort()).toEqual(made.map((instance) => instance.providerId).sort());

    const page = 'query ($after: String) { orphanInstances(provider: "gcp", first: 1, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { providerId provider region state firstSeenAt } } } }';
    const first = await post(admin, page);
    expect(first.data?.orphanInstances).toMatchObject({ totalCount: 2, pageInfo: { hasNextPage: true } });
    const second = await post(admin, page, { after: first.data?.orphanInstances.pageInfo.endCursor });
    expect(second.data?.orphanInstances.pageInfo.hasNextPage).toBe(false);
    const seen = [first, second].map((result) => result.data?.orphanInstances.edges[0].node.providerId);
    expect(seen.sort()).toEqual(made.map((instance) => instance.providerId).sort());

    const viewer = await keys.forUser(tenantId, 'viewer');
    expect((await post(viewer, page)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await post(viewer, 'mutation { reconcileProvider(provider: "gcp") { provider } }')).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('stores the orphan clean-up setting on the tenant and refuses bad input naming the field', async () => {
    const admin = await keys.forUser(tenantId, 'admin');
    expect((await post(admin, '{ tenantSettings { orphanCleanup { enabled graceMinutes } } }')).data?.tenantSettings.orphanCleanup).toEqual({ enabled: false, graceMinutes: 60 });
    const set = await post(admin, 'mutation { setOrphanCleanup(input: { enabled: true, graceMinutes: 15 }) { enabled graceMinutes updatedBy } }');
    expect(set.data?.setOrphanCleanup).toEqual({ enabled: true, graceMinutes: 15, updatedBy: `admin@${tenantId}` });
    expect((await post(admin, '{ tenantSettings { orphanCleanup { enabled graceMinutes } } }')).data?.tenantSettings.orphanCleanup).toEqual({ enabled: true, graceMinutes: 15 });

    const bad = await post(admin, 'mutation { setOrphanCleanup(input: { enabled: true, graceMinutes: -1 }) { enabled } }');
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.graceMinutes' });
    const unknown = await post(admin, 'mutation { reconcileProvider(provider: "nimbus") { provider } }');
    expect(unknown.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'provider' });
    await post(admin, 'mutation { setOrphanCleanup(input: { enabled: false }) { enabled } }');
  });
});
