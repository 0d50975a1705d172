import { randomBytes, randomUUID } from 'node:crypto';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCloudEmulators, type RunningCloudEmulators } from '@novacron/cloud-emulators';
import { createSql, type Sql } from '@novacron/db';
import { encodeEventCursor } from '@novacron/events';
import { createProviderRegistry, injectDrift, type ProviderRegistry } from '@novacron/providers';
import { createLogger } from '@novacron/server-kit';
import { pageRequest } from '@novacron/subgraph-kit';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import type { VmsServices } from '../src/context.ts';
import { createDatabase, type Database } from '../src/db/createDatabase.ts';
import { migrateVms } from '../src/db/migrateVms.ts';
import { operations, vmEvents, vms } from '../src/db/schema.ts';
import { findVmEvent } from '../src/domain/findEventPayload.ts';
import { requestAction, requestCreate } from '../src/domain/requestOperation.ts';
import { listOrphanInstances, setOrphanCleanup } from '../src/reconcile/orphanInstances.ts';
import { reconcileTenantProvider } from '../src/reconcile/reconcileTenantProvider.ts';
import { executeOperation } from '../src/worker/executeOperation.ts';
import type { WorkerContext } from '../src/worker/WorkerContext.ts';
import { testConfig } from './support/testConfig.ts';
import { testCredentialKeys } from './support/testServices.ts';

let database: TestDatabase;
let sql: Sql;
let db: Database;
let clouds: RunningCloudEmulators;
let simulated: ProviderRegistry;
let emulated: ProviderRegistry;

beforeAll(async () => {
  clouds = await startCloudEmulators({ latencyMs: 0 });
  database = await createTestDatabase();
  await migrateVms(database.url);
  sql = createSql(database.url, { max: 5 });
  db = createDatabase(sql);
  simulated = createProviderRegistry({ sql, latencyMs: { min: 0, max: 0 }, capacityPerRegion: 100 });
  emulated = createProviderRegistry({ sql, latencyMs: { min: 0, max: 0 }, capacityPerRegion: 100, emulated: clouds.descriptor });
});
afterAll(async () => {
  await clouds?.close();
  await sql?.end();
  await database?.drop();
});

/** Changes an instance as someone in the cloud's console would. */
interface Console {
  stopAndResize(providerId: string, instanceType: string): Promise<void>;
  remove(providerId: string): Promise<void>;
}

const lastSegment = (providerId: string) => providerId.slice(providerId.lastIndexOf('/') + 1);

const cases: { label: string; provider: 'aws' | 'azure' | 'gcp'; registry: () => ProviderRegistry; console: () => Console }[] = [
  {
    label: 'the simulated cloud',
    provider: 'aws',
    registry: () => simulated,
    console: () => ({
      stopAndResize: async (providerId, instanceType) => void (await injectDrift(sql, { provider: 'aws', providerId, state: 'STOPPED', instanceType })),
      remove: async (providerId) => void (await injectDrift(sql, { provider: 'aws', providerId, vanish: true })),
    }),
  },
  {
    label: 'the EC2 emulator',
    provider: 'aws',
    registry: () => emulated,
    console: () => ({
      stopAndResize: async (providerId, instanceType) => clouds.ec2.alter(lastSegment(providerId), { state: 'stopped', instanceType }),
      remove: async (providerId) => clouds.ec2.alter(lastSegment(providerId), { state: 'terminated' }),
    }),
  },
  {
    label: 'the Azure emulator',
    provider: 'azure',
    registry: () => emulated,
    console: () => ({
      stopAndResize: async (providerId, instanceType) => clouds.azure.alter(lastSegment(providerId), { power: 'deallocated', vmSize: instanceType }),
      remove: async (providerId) => clouds.azure.alter(lastSegment(providerId), { vanish: true }),
    }),
  },
  {
    label: 'the Compute Engine emulator',
    provider: 'gcp',
    registry: () => emulated,
    console: () => ({
      stopAndResize: async (providerId, instanceType) => clouds.gce.alter(lastSegment(providerId), { status: 'TERMINATED', machineType: instanceType }),
      remove: async (providerId) => clouds.gce.alter(lastSegment(providerId), { vanish: true }),
    }),
  },
];

describe.each(cases)('the reconciler on $label', ({ provider, registry, console: cloudConsole }) => {
  const tenantId = `t-${randomBytes(4).toString('hex')}`;
  let services: VmsServices;
  let spec: { region: string; instanceType: string; otherType: string; image: string };

  beforeAll(() => {
    const providers = registry();
    services = { db, providers, config: testConfig(database.url), credentialKeys: testCredentialKeys() };
    const description = providers.get(provider)!.describe();
    const region = description.regions.find((candidate) => candidate.instanceTypes.length >= 2)!;
    spec = { region: region.name, instanceType: region.instanceTypes[0]!.name, otherType: region.instanceTypes[1]!.name, image: description.capabilities.images[0]! };
  });

  function worker(): WorkerContext {
    return { db, providers: services.providers, logger: createLogger('test', 'silent'), workerId: 'test-worker', leaseSeconds: 30, retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 }, maxRedrives: 3, transitionTimeoutSeconds: 30 };
  }

  async function runningVm(name: string) {
    const operation = await requestCreate(services, tenantId, { name, provider, region: spec.region, instanceType: spec.instanceType, image: spec.image }, null);
    await executeOperation(worker(), operation.id);
    const [vm] = await db.select().from(vms).where(eq(vms.id, operation.vmId));
    expect(vm).toMatchObject({ status: 'RUNNING', providerId: expect.any(String) });
    return vm!;
  }

  async function driftedEvents(vmId: string) {
    const rows = await db.select().from(vmEvents).where(and(eq(vmEvents.vmId, vmId), eq(vmEvents.type, 'DRIFTED'))).orderBy(asc(vmEvents.seq));
    return Promise.all(rows.map((row) => findVmEvent(db, tenantId, encodeEventCursor({ stream: 'vms.vm', txid: row.txid, seq: row.seq }))));
  }

  it('gives a VM stopped and resized outside NovaCron its real state, with a DRIFTED event', async () => {
    const vm = await runningVm('drifts');
    await cloudConsole().stopAndResize(vm.providerId!, spec.otherType);
    const result = await reconcileTenantProvider(db, services.providers, tenantId, provider);
    expect(result.drifted).toEqual([vm.id]);
    const [after] = await db.select().from(vms).where(eq(vms.id, vm.id));
    expect(after).toMatchObject({ status: 'STOPPED', instanceType: spec.otherType, version: vm.version + 1 });
    const [event] = await driftedEvents(vm.id);
    expect(event?.drift).toEqual({ before: { status: 'RUNNING', instanceType: spec.instanceType }, after: { status: 'STOPPED', instanceType: spec.otherType } });
    expect(event?.vm).toMatchObject({ id: vm.id, status: 'STOPPED', instanceType: spec.otherType });
    expect(event?.vm).not.toHaveProperty('drift');
    // Nothing changed since: a second pass finds nothing.
    expect((await reconcileTenantProvider(db, services.providers, tenantId, provider)).drifted).toEqual([]);
  });

  it('leaves a VM alone while an operation is queued on it', async () => {
    const vm = await runningVm('busy');
    await cloudConsole().stopAndResize(vm.providerId!, spec.otherType);
    const queued = await requestAction(services, tenantId, { kind: 'REBOOT', vmId: vm.id, idempotencyKey: null });
    const result = await reconcileTenantProvider(db, services.providers, tenantId, provider);
    expect(result.drifted).not.toContain(vm.id);
    const [unchanged] = await db.select().from(vms).where(eq(vms.id, vm.id));
    expect(unchanged?.version).toBe(vm.version);
    await db.update(operations).set({ status: 'CANCELLED' }).where(eq(operations.id, queued.id));
  });

  it('turns a VM whose instance vanished into ERROR with the reason', async () => {
    const vm = await runningVm('vanishes');
    await cloudConsole().remove(vm.providerId!);
    const result = await reconcileTenantProvider(db, services.providers, tenantId, provider);
    expect(result.vanished).toEqual([vm.id]);
    const [after] = await db.select().from(vms).where(eq(vms.id, vm.id));
    expect(after?.status).toBe('ERROR');
    const [event] = await driftedEvents(vm.id);
    expect(event?.drift).toMatchObject({ before: { status: 'RUNNING' }, after: { status: 'ERROR' }, reason: expect.stringContaining(vm.providerId!) });
  });

  it('lists a tagged instance no VM owns as an orphan, and deletes it after the grace period once the tenant enables clean-up', async () => {
    const driver = (await services.providers.forTenant(tenantId, provider))!;
    const orphan = await driver.create({ clientToken: randomUUID(), name: `orphan-${randomBytes(3).toString('hex')}`, region: spec.region, instanceType: spec.instanceType, image: spec.image, labels: {}, vmId: randomUUID(), tenantId });
    const first = await reconcileTenantProvider(db, services.providers, tenantId, provider);
    expect(first.orphans).toEqual([orphan.providerId]);
    const listed = await listOrphanInstances(db, tenantId, provider, pageRequest(1, null));
    expect(listed.totalCount).toBe(1);
    expect(listed.edges[0]?.node).toMatchObject({ providerId: orphan.providerId, region: spec.region, instanceType: spec.instanceType });
    // Not deleted while clean-up is off.
    expect((await reconcileTenantProvider(db, services.providers, tenantId, provider)).deletedOrphans).toEqual([]);
    expect(await driver.get(orphan.providerId)).not.toBeNull();

    await setOrphanCleanup(db, tenantId, 'admin@test', { enabled: true, graceMinutes: 0 });
    const cleaned = await reconcileTenantProvider(db, services.providers, tenantId, provider);
    expect(cleaned.deletedOrphans).toEqual([orphan.providerId]);
    expect((await listOrphanInstances(db, tenantId, provider, pageRequest(10, null))).totalCount).toBe(0);
    const gone = await driver.get(orphan.providerId);
    expect(gone === null || gone.state === 'DELETED' || gone.state === 'DELETING').toBe(true);
    await setOrphanCleanup(db, tenantId, 'admin@test', { enabled: false });
  });
});
