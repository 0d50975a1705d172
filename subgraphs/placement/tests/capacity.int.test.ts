import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '@novacron/catalog';
import { createSql, type Sql } from '@novacron/db';
import { AppError } from '@novacron/errors';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { createDatabase, type Database } from '../src/db/createDatabase.ts';
import { migratePlacement } from '../src/db/migratePlacement.ts';
import { createVmUsageProjection, type VmEvent } from '../src/domain/applyVmEvents.ts';
import { listQuotas, setQuota } from '../src/domain/capacityStore.ts';
import { loadPlacementState, recordCapacityFailure } from '../src/domain/loadPlacementState.ts';
import { readPlacementPolicy, setPlacementPolicy } from '../src/domain/policyStore.ts';
import { expireReservations, releaseReservation, reserveCapacity } from '../src/domain/reserveCapacity.ts';

const catalog = loadCatalog();
const windows = { capacityBlockSeconds: 600, outcomeWindowSeconds: 86_400 };
let database: TestDatabase;
let db: Database;
let sql: Sql;

beforeAll(async () => {
  database = await createTestDatabase();
  await migratePlacement(database.url);
  // A pool big enough for the race below: 20 transactions really run at once.
  sql = createSql(database.url, { max: 25 });
  db = createDatabase(sql);
});
afterAll(async () => {
  await sql?.end({ timeout: 5 });
  await database?.drop();
});

const tenant = () => `t-${randomUUID().slice(0, 8)}`;

let version = 0;
function vmEvent(vm: { id: string; tenantId: string; provider?: string; region?: string; instanceType?: string; status: string; version: number }, type: VmEvent['type'] = 'STATE_CHANGED'): VmEvent {
  version += 1;
  const at = new Date().toISOString();
  // The whole VM row, as vms sends it (the VmStreamEvent contract), not only what the projection reads.
  const payload = { name: 'vm', provider: 'aws', region: 'us-east-1', instanceType: 't3.medium', image: 'ubuntu-24.04', providerId: null, labels: {}, createdAt: at, updatedAt: at, ...vm };
  return { cursor: `c${version}`, tenantId: vm.tenantId, entityId: vm.id, type, version: vm.version, occurredAt: at, payload };
}

async function quotaExceeded(run: Promise<unknown>): Promise<AppError> {
  const error = await run.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe('QUOTA_EXCEEDED');
  return error as AppError;
}

describe('reserveCapacity', () => {
  it('lets 20 concurrent reservations of 2 vCPUs against a 10-vCPU quota hold exactly 5', async () => {
    const tenantId = tenant();
    await setQuota(db, catalog, tenantId, { provider: 'aws', region: 'us-east-1', vcpus: 10 });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, index) =>
        reserveCapacity(db, { tenantId, operationId: `race-${tenantId}-${index}`, provider: 'aws', region: 'us-east-1', vcpus: 2, ttlSeconds: 600 }),
      ),
    );
    const held = results.filter((result) => result.status === 'fulfilled');
    const refused = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    expect(held).toHaveLength(5);
    expect(refused).toHaveLength(15);
    expect(refused.every((result) => (result.reason as AppError).code === 'QUOTA_EXCEEDED')).toBe(true);
    expect(await listQuotas(db, tenantId)).toEqual([{ provider: 'aws', region: 'us-east-1', vcpus: 10, usedVcpus: 0, reservedVcpus: 10 }]);
  });

  it('returns the same reservation for a repeated operation id without counting it twice', async () => {
    const tenantId = tenant();
    await setQuota(db, catalog, tenantId, { provider: 'gcp', region: 'us-central1', vcpus: 4 });
    const request = { tenantId, operationId: `op-${tenantId}`, provider: 'gcp', region: 'us-central1', vcpus: 4, ttlSeconds: 600 };
    const first = await reserveCapacity(db, request);
    const again = await Promise.all([reserveCapacity(db, request), reserveCapacity(db, request)]);
    expect(again.map((r) => r.expiresAt)).toEqual([first.expiresAt, first.expiresAt]);
    expect((await listQuotas(db, tenantId))[0]?.reservedVcpus).toBe(4);
    const error = await quotaExceeded(reserveCapacity(db, { ...request, operationId: `other-${tenantId}`, vcpus: 1 }));
    expect(error.extensions).toMatchObject({ quota: 4, usedVcpus: 0, reservedVcpus: 4, requestedVcpus: 1 });
  });

  it('counts projected VMs, frees capacity on release, and ignores expired reservations', async () => {
    const tenantId = tenant();
    await setQuota(db, catalog, tenantId, { provider: 'aws', region: 'us-east-1', vcpus: 6 });
    const apply = createVmUsageProjection(catalog);
    const running = randomUUID();
    await db.transaction((tx) => apply(tx, [vmEvent({ id: running, tenantId, status: 'RUNNING', version: 3 }, 'CREATED')])); // t3.medium: 2 vCPUs
    await reserveCapacity(db, { tenantId, operationId: `a-${tenantId}`, provider: 'aws', region: 'us-east-1', vcpus: 2, ttlSeconds: 600 });
    await reserveCapacity(db, { tenantId, operationId: `b-${tenantId}`, provider: 'aws', region: 'us-east-1', vcpus: 2, ttlSeconds: 0 }); // expires at once
    await reserveCapacity(db, { tenantId, operationId: `c-${tenantId}`, provider: 'aws', region: 'us-east-1', vcpus: 2, ttlSeconds: 600 });
    await quotaExceeded(reserveCapacity(db, { tenantId, operationId: `d-${tenantId}`, provider: 'aws', region: 'us-east-1', vcpus: 2, ttlSeconds: 600 }));
    expect(await releaseReservation(db, tenantId, `a-${tenantId}`)).toBe(true);
    expect(await releaseReservation(db, 'someone-else', `c-${tenantId}`)).toBe(false);
    await reserveCapacity(db, { tenantId, operationId: `d-${tenantId}`, provider: 'aws', region: 'us-east-1', vcpus: 2, ttlSeconds: 600 });
    expect(await expireReservations(db)).toBeGreaterThanOrEqual(1);
    expect(await listQuotas(db, tenantId)).toEqual([{ provider: 'aws', region: 'us-east-1', vcpus: 6, usedVcpus: 2, reservedVcpus: 4 }]);
  });

  it('moves an operation’s reservation to the next candidate’s region, checked against that quota', async () => {
    const tenantId = tenant();
    await setQuota(db, catalog, tenantId, { provider: 'aws', region: 'us-east-2', vcpus: 2 });
    const operationId = `failover-${tenantId}`;
    await reserveCapacity(db, { tenantId, operationId, provider: 'aws', region: 'us-east-1', vcpus: 2, ttlSeconds: 600 });
    const moved = await reserveCapacity(db, { tenantId, operationId, provider: 'aws', region: 'us-east-2', vcpus: 2, ttlSeconds: 600 });
    expect(moved).toMatchObject({ region: 'us-east-2', status: 'HELD' });
    await quotaExceeded(reserveCapacity(db, { tenantId, operationId: `x-${tenantId}`, provider: 'aws', region: 'us-east-2', vcpus: 1, ttlSeconds: 600 }));
  });
});

describe('usage projection', () => {
  it('confirms the reservation when the VM appears and counts the VM instead, without double counting', async () => {
    const tenantId = tenant();
    await setQuota(db, catalog, tenantId, { provider: 'aws', region: 'us-east-1', vcpus: 4 });
    const vmId = randomUUID();
    await reserveCapacity(db, { tenantId, operationId: `op-${vmId}`, vmId, provider: 'aws', region: 'us-east-1', vcpus: 2, ttlSeconds: 600 });
    expect((await listQuotas(db, tenantId))[0]).toMatchObject({ usedVcpus: 0, reservedVcpus: 2 });
    const apply = createVmUsageProjection(catalog);
    await db.transaction((tx) => apply(tx, [vmEvent({ id: vmId, tenantId, status: 'PENDING', version: 1 }, 'CREATED')]));
    expect((await listQuotas(db, tenantId))[0]).toMatchObject({ usedVcpus: 2, reservedVcpus: 0 });
  });

  it('ignores replayed and out-of-order events and frees capacity when the VM is deleted', async () => {
    const tenantId = tenant();
    await setQuota(db, catalog, tenantId, { provider: 'aws', region: 'us-east-1', vcpus: 100 });
    const apply = createVmUsageProjection(catalog);
    const vmId = randomUUID();
    const events = [
      vmEvent({ id: vmId, tenantId, instanceType: 'm6i.xlarge', status: 'PENDING', version: 1 }, 'CREATED'),
      vmEvent({ id: vmId, tenantId, instanceType: 'm6i.xlarge', status: 'PROVISIONING', version: 2 }),
      vmEvent({ id: vmId, tenantId, instanceType: 'm6i.xlarge', status: 'RUNNING', version: 3 }),
    ];
    await db.transaction((tx) => apply(tx, events));
    await db.transaction((tx) => apply(tx, [events[1]!, events[0]!])); // replay, out of order
    expect((await listQuotas(db, tenantId))[0]).toMatchObject({ usedVcpus: 4 });
    const state = await loadPlacementState(db, tenantId, windows);
    expect(state.outcomes.get('aws/us-east-1/m6i.xlarge')?.succeeded).toBeGreaterThanOrEqual(1);
    await db.transaction((tx) => apply(tx, [vmEvent({ id: vmId, tenantId, instanceType: 'm6i.xlarge', status: 'DELETED', version: 4 }, 'DELETED')]));
    expect((await listQuotas(db, tenantId))[0]).toMatchObject({ usedVcpus: 0 });
  });

  it('applies the latest of several events for one VM in a page, records its create outcome once, and changes nothing when the page is replayed', async () => {
    const tenantId = tenant();
    const apply = createVmUsageProjection(catalog);
    const [resized, created] = [randomUUID(), randomUUID()];
    const offering = { provider: 'aws', region: 'eu-central-1', instanceType: 'm6i.2xlarge' };
    const page = [
      vmEvent({ id: resized, tenantId, ...offering, instanceType: 't3.medium', status: 'PENDING', version: 1 }, 'CREATED'),
      vmEvent({ id: created, tenantId, ...offering, status: 'PENDING', version: 1 }, 'CREATED'),
      vmEvent({ id: resized, tenantId, ...offering, instanceType: 't3.medium', status: 'PROVISIONING', version: 2 }),
      vmEvent({ id: created, tenantId, ...offering, status: 'PROVISIONING', version: 2 }),
      vmEvent({ id: resized, tenantId, ...offering, status: 'RUNNING', version: 3 }, 'RESIZED'),
      vmEvent({ id: created, tenantId, ...offering, status: 'RUNNING', version: 3 }),
      vmEvent({ id: created, tenantId, ...offering, status: 'STOPPED', version: 4 }),
    ];
    const succeeded = async () => (await loadPlacementState(db, tenantId, windows)).outcomes.get('aws/eu-central-1/m6i.2xlarge')?.succeeded ?? 0;
    const outcomesBefore = await succeeded();
    const changed = await db.transaction((tx) => apply(tx, page));
    expect(changed).toEqual({ tenants: new Set([tenantId]), outcomes: true });
    // The latest event of each VM wins (the resize to m6i.2xlarge: 8 vCPUs).
    const rows = await sql<{ vm_id: string; instance_type: string; vcpus: number; status: string; version: number }[]>`
      select vm_id, instance_type, vcpus, status, version from placement.vm_usage where vm_id in (${resized}, ${created}) order by version`;
    expect(new Map(rows.map((row) => [row.vm_id, row]))).toEqual(
      new Map([
        [resized, { vm_id: resized, instance_type: 'm6i.2xlarge', vcpus: 8, status: 'RUNNING', version: 3 }],
        [created, { vm_id: created, instance_type: 'm6i.2xlarge', vcpus: 8, status: 'STOPPED', version: 4 }],
      ]),
    );
    expect(await succeeded()).toBe(outcomesBefore + 2);

    const replayed = await db.transaction((tx) => apply(tx, page));
    expect(replayed).toEqual({ tenants: new Set(), outcomes: false });
    expect(await succeeded()).toBe(outcomesBefore + 2);
    expect((await sql`select status, version from placement.vm_usage where vm_id = ${created}`)[0]).toEqual({ status: 'STOPPED', version: 4 });
  });

  it('gives the same projection when rebuilt from the first event', async () => {
    const tenantId = tenant();
    const apply = createVmUsageProjection(catalog);
    const ids = [randomUUID(), randomUUID()];
    const events = [
      vmEvent({ id: ids[0]!, tenantId, status: 'PENDING', version: 1 }, 'CREATED'),
      vmEvent({ id: ids[1]!, tenantId, region: 'eu-west-1', status: 'PENDING', version: 1 }, 'CREATED'),
      vmEvent({ id: ids[0]!, tenantId, status: 'ERROR', version: 2 }),
    ];
    await db.transaction((tx) => apply(tx, events));
    const before = await loadPlacementState(db, tenantId, windows);
    await db.transaction((tx) => apply(tx, events));
    const after = await loadPlacementState(db, tenantId, windows);
    expect([...after.usage]).toEqual([...before.usage]);
    expect([...before.usage]).toEqual([['aws/eu-west-1', 2]]);
  });
});

describe('policies and the block list', () => {
  it('stores a policy per tenant and leaves other tenants on the default', async () => {
    const [admin, other] = [tenant(), tenant()];
    await setPlacementPolicy(db, catalog, admin, { allowedProviders: ['gcp', 'aws'], deniedInstanceFamilies: ['t3'], weights: { price: 2, reliability: 1 } });
    expect(await readPlacementPolicy(db, admin)).toEqual({
      allowedProviders: ['aws', 'gcp'],
      allowedRegions: null,
      deniedInstanceFamilies: ['t3'],
      maxHourlyPrice: null,
      weights: { price: 2, regionPreference: 0, reliability: 1, headroom: 0 },
    });
    expect((await readPlacementPolicy(db, other)).allowedProviders).toBeNull();
  });

  it('refuses an unknown family naming the field, and writes nothing', async () => {
    const tenantId = tenant();
    const error = await setPlacementPolicy(db, catalog, tenantId, { deniedInstanceFamilies: ['t3', 'z9'] }).catch((caught: AppError) => caught);
    expect((error as AppError).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.deniedInstanceFamilies.1' });
    expect((await readPlacementPolicy(db, tenantId)).deniedInstanceFamilies).toEqual([]);
  });

  it('blocks an offering after a capacity failure until a later success', async () => {
    const offering = { provider: 'azure', region: 'westeurope', instanceType: 'Standard_D8s_v5' };
    await recordCapacityFailure(db, offering);
    const blocked = await loadPlacementState(db, tenant(), windows);
    expect(blocked.blocked.has('azure/westeurope/Standard_D8s_v5')).toBe(true);
    const unblocked = await loadPlacementState(db, tenant(), { ...windows, capacityBlockSeconds: 0 });
    expect(unblocked.blocked.has('azure/westeurope/Standard_D8s_v5')).toBe(false);
    expect(unblocked.outcomes.get('azure/westeurope/Standard_D8s_v5')).toEqual({ succeeded: 0, failed: 1 });
  });
});
