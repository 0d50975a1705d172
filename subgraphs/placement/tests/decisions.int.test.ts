import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '@novacron/catalog';
import { createSql, type Sql } from '@novacron/db';
import type { AppError } from '@novacron/errors';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { createDatabase, type Database } from '../src/db/createDatabase.ts';
import { migratePlacement } from '../src/db/migratePlacement.ts';
import { listQuotas, setQuota } from '../src/domain/capacityStore.ts';
import { findDecisionForOperation, findDecisionForVm, placeForOperation, reportPlacementAttempt } from '../src/domain/decisionStore.ts';
import { loadPlacementState } from '../src/domain/loadPlacementState.ts';
import { rankPlacements } from '../src/domain/rankPlacements.ts';
import { validateRequirements } from '../src/domain/validateRequirements.ts';

const catalog = loadCatalog();
const windows = { capacityBlockSeconds: 600, outcomeWindowSeconds: 86_400 };
let database: TestDatabase;
let sql: Sql;
let db: Database;

beforeAll(async () => {
  database = await createTestDatabase();
  await migratePlacement(database.url);
  sql = createSql(database.url, { max: 25 });
  db = createDatabase(sql);
});
afterAll(async () => {
  await sql?.end({ timeout: 5 });
  await database?.drop();
});

const tenant = () => `t-${randomUUID().slice(0, 8)}`;
// Offerings in a region of its own per test, so block-list entries of one test do not leak into another.
const requirementsIn = (region: string) => validateRequirements(catalog, { vcpus: 2, memoryGib: 4, providers: ['aws'], regions: [region] });
const place = (tenantId: string, region: string, operationId = randomUUID(), vmId: string | null = randomUUID()) =>
  placeForOperation(db, catalog, { tenantId, operationId, vmId, requirements: requirementsIn(region), windows, reservationTtlSeconds: 600 });

describe('placing a create', () => {
  it('chooses the best candidate, reserves its vCPUs and is idempotent by operation id', async () => {
    const tenantId = tenant();
    const operationId = randomUUID();
    const decision = await place(tenantId, 'eu-west-1', operationId);
    expect(decision.chosen).toMatchObject({ provider: 'aws', region: 'eu-west-1', instanceType: 't3.medium' });
    expect(decision.attempts).toMatchObject([{ instanceType: 't3.medium', outcome: 'PENDING' }]);
    expect((await place(tenantId, 'eu-west-1', operationId)).id).toBe(decision.id);
    expect(await findDecisionForOperation(db, 'another-tenant', operationId)).toBeNull();
    expect(await findDecisionForVm(db, 'another-tenant', decision.vmId as string)).toBeNull();
  });

  it('fails over to the next candidate after a capacity failure and blocks the offering for new placements', async () => {
    const tenantId = tenant();
    const operationId = randomUUID();
    await setQuota(db, catalog, tenantId, { provider: 'aws', region: 'eu-central-1', vcpus: 8 });
    await place(tenantId, 'eu-central-1', operationId);
    const moved = await reportPlacementAttempt(db, { tenantId, operationId, outcome: 'CAPACITY_FAILURE', message: 'InsufficientInstanceCapacity' }, windows, 600);
    expect(moved.attempts.map((a) => [a.instanceType, a.outcome, a.message])).toEqual([
      ['t3.medium', 'CAPACITY_FAILURE', 'InsufficientInstanceCapacity'],
      ['t3.large', 'PENDING', null], // eu-central-1: t3.medium $0.048, then t3.large $0.096
    ]);
    expect(moved.chosen?.instanceType).toBe('t3.large');
    expect(moved.reason).toContain('after 1 capacity failure');
    expect((await listQuotas(db, tenantId))[0]?.reservedVcpus).toBe(2); // moved, not doubled
    const other = rankPlacements(catalog.entries, requirementsIn('eu-central-1'), await loadPlacementState(db, tenant(), windows), 1);
    expect(other.candidates[0]?.instanceType).toBe('t3.large');
    expect(other.rejected.find((r) => r.reason === 'RECENT_CAPACITY_FAILURE')?.examples[0]?.instanceType).toBe('t3.medium');
    const done = await reportPlacementAttempt(db, { tenantId, operationId, outcome: 'SUCCEEDED' }, windows, 600);
    expect(done.attempts.at(-1)?.outcome).toBe('SUCCEEDED');
    // A repeated report (a retried step) changes nothing.
    expect((await reportPlacementAttempt(db, { tenantId, operationId, outcome: 'CAPACITY_FAILURE' }, windows, 600)).attempts).toEqual(done.attempts);
  });

  it('releases the reservation when every candidate ran out of capacity', async () => {
    const tenantId = tenant();
    const operationId = randomUUID();
    const requirements = validateRequirements(catalog, { vcpus: 1, memoryGib: 1, regions: ['us-east-1'], gpu: { name: 'A10G', count: 1 } });
    await placeForOperation(db, catalog, { tenantId, operationId, vmId: null, requirements, windows, reservationTtlSeconds: 600 });
    const exhausted = await reportPlacementAttempt(db, { tenantId, operationId, outcome: 'CAPACITY_FAILURE' }, windows, 600);
    expect(exhausted.chosen).toBeNull();
    expect(exhausted.reason).toContain('no candidate left');
    expect(await listQuotas(db, tenantId)).toEqual([]);
  });

  it('lets 20 concurrent placed creates against a 10-vCPU quota succeed 5 times; the rest get QUOTA_EXCEEDED and no decision', async () => {
    const tenantId = tenant();
    await setQuota(db, catalog, tenantId, { provider: 'aws', region: 'ap-south-1', vcpus: 10 });
    const operations = Array.from({ length: 20 }, () => randomUUID());
    const results = await Promise.allSettled(operations.map((operationId) => place(tenantId, 'ap-south-1', operationId)));
    const refused = results.flatMap((result, index) => (result.status === 'rejected' ? [{ error: result.reason as AppError, operationId: operations[index]! }] : []));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(5);
    expect(refused.map(({ error }) => error.extensions.code)).toEqual(Array(15).fill('QUOTA_EXCEEDED'));
    for (const { operationId } of refused) expect(await findDecisionForOperation(db, tenantId, operationId)).toBeNull();
    expect((await listQuotas(db, tenantId))[0]).toMatchObject({ vcpus: 10, reservedVcpus: 10 });
  });

  it('says BAD_USER_INPUT on `placement` when nothing fits at all', async () => {
    const requirements = validateRequirements(catalog, { vcpus: 512, memoryGib: 1 });
    const error = await placeForOperation(db, catalog, { tenantId: tenant(), operationId: randomUUID(), vmId: null, requirements, windows, reservationTtlSeconds: 600 }).catch((caught: AppError) => caught);
    expect((error as AppError).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'placement' });
  });
});
