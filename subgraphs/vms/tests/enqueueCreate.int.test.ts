import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createSql, type Sql } from '@novacron/db';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import type { VmsServices } from '../src/context.ts';
import type { Database } from '../src/db/createDatabase.ts';
import { migrateVms } from '../src/db/migrateVms.ts';
import { vmEvents, vms } from '../src/db/schema.ts';
import { requestCreate } from '../src/domain/requestOperation.ts';
import { testServices } from './support/testServices.ts';

let database: TestDatabase;
let sql: Sql;
let db: Database;
let services: VmsServices;
const input = () => ({ name: `enqueue-${randomBytes(4).toString('hex')}`, provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', image: 'debian-12', labels: { team: 'core' } });

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateVms(database.url);
  sql = createSql(database.url, { max: 10 });
  services = testServices(sql, database.url);
  db = services.db;
});
afterAll(async () => {
  await sql?.end();
  await database?.drop();
});

describe('enqueueing a create in one statement', () => {
  it('writes the VM, its CREATED event with the VM as drizzle reads it, the operation and its job', async () => {
    const operation = await requestCreate(services, 'default', input(), null);
    const [vm] = await db.select().from(vms).where(eq(vms.id, operation.vmId));
    const events = await db.select().from(vmEvents).where(eq(vmEvents.vmId, operation.vmId));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'CREATED', vmVersion: 1, operationId: null, tenantId: 'default' });
    expect(events[0]!.payload).toEqual(JSON.parse(JSON.stringify(vm)));
    expect(operation).toMatchObject({ kind: 'CREATE', status: 'QUEUED', tenantId: 'default', attempts: 0, leaseEpoch: 0 });
    expect(operation.createdAt).toBeInstanceOf(Date);
    expect(operation.steps.map((step) => step.name)).toEqual(['validate', 'provision', 'wait-running', 'finalize']);
    const jobs = await sql`select 1 from graphile_worker.jobs where key = ${`op:${operation.id}`}`;
    expect(jobs).toHaveLength(1);
  });

  it('makes one operation, VM and job from concurrent requests with one idempotency key', async () => {
    const spec = input();
    const key = `replay-${randomBytes(4).toString('hex')}`;
    const results = await Promise.all(Array.from({ length: 8 }, () => requestCreate(services, 'default', spec, key)));
    expect(new Set(results.map((operation) => operation.id)).size).toBe(1);
    const [counts] = await sql<{ operations: number; vms: number; events: number; jobs: number }[]>`
      select (select count(*)::int from vms.operations where idempotency_key = ${key}) as operations,
             (select count(*)::int from vms.vms where name = ${spec.name}) as vms,
             (select count(*)::int from vms.vm_events where payload->>'name' = ${spec.name}) as events,
             (select count(*)::int from graphile_worker.jobs where key = ${`op:${results[0]!.id}`}) as jobs`;
    expect(counts).toEqual({ operations: 1, vms: 1, events: 1, jobs: 1 });
  });

  it('refuses a key reused with a different request, writing nothing', async () => {
    const key = `reuse-${randomBytes(4).toString('hex')}`;
    const first = await requestCreate(services, 'default', input(), key);
    const other = input();
    await expect(requestCreate(services, 'default', other, key)).rejects.toMatchObject({
      extensions: { code: 'CONFLICT', field: 'idempotencyKey', reason: 'IDEMPOTENCY_KEY_REUSED', operationId: first.id },
    });
    const written = await sql`select 1 from vms.vms where name = ${other.name}`;
    expect(written).toHaveLength(0);
  });

  it('scopes idempotency keys to the tenant', async () => {
    const key = `tenant-${randomBytes(4).toString('hex')}`;
    const spec = input();
    const mine = await requestCreate(services, 'default', spec, key);
    const theirs = await requestCreate(services, 'other-tenant', spec, key);
    expect(theirs.id).not.toBe(mine.id);
    expect(theirs.tenantId).toBe('other-tenant');
  });
});
