import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createSql, isTransientDatabaseError, type Sql } from '@novacron/db';
import { createTestDatabase, freePort, type TestDatabase } from '@novacron/testing';
import type { VmsServices } from '../src/context.ts';
import { createDatabase, type Database } from '../src/db/createDatabase.ts';
import { migrateVms } from '../src/db/migrateVms.ts';
import { operations, vmEvents, vms } from '../src/db/schema.ts';
import { createBatchStats, insertCreateOperation, type CreateOperationValues } from '../src/db/insertCreateOperation.ts';
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

/** What `insertCreateOperation` takes for a new create of VM `name`, with fresh ids (no idempotency key, no steps). */
const values = (name: string): CreateOperationValues => ({
  operationId: randomUUID(),
  vmId: randomUUID(),
  tenantId: 'default',
  vm: { ...input(), name },
  input: { name },
  inputDigest: `digest-${name}`,
  idempotencyKey: null,
  steps: [],
  queuedLeaseSeconds: 60,
  traceContext: null,
  task: 'vms.run_operation',
  jobKey: `op:${randomUUID()}`,
});

describe('enqueueing a create in one statement', () => {
  it('writes the VM, its CREATED event with the VM as drizzle reads it, the operation and its job', async () => {
    const operation = await requestCreate(services, 'default', input(), null);
    const [vm] = await db.select().from(vms).where(eq(vms.id, operation.vmId));
    const events = await db.select().from(vmEvents).where(eq(vmEvents.vmId, operation.vmId));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'CREATED', vmVersion: 1, operationId: null, tenantId: 'default' });
    expect(events[0]!.payload).toEqual(JSON.parse(JSON.stringify(vm)));
    // The answer carries the VM as inserted, so a worker that moves it on cannot show through (AcceptedOperation).
    expect(operation.acceptedVm).toEqual(vm);
    expect(operation.acceptedVm).toMatchObject({ status: 'PENDING', version: 1 });
    // The operation as answered (built from what was sent and the columns Postgres chose) is the row as stored.
    const [stored] = await db.select().from(operations).where(eq(operations.id, operation.id));
    const { acceptedVm, ...answered } = operation;
    expect(answered).toEqual(stored);
    expect(acceptedVm?.createdAt).toEqual(stored?.createdAt);
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
    // Only the request that inserted knows the VM as accepted; replays read it as it is now.
    expect(results.filter((operation) => operation.acceptedVm)).toHaveLength(1);
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

  it('writes concurrent creates in shared batches, each with its own VM, CREATED event, job and audit record', async () => {
    const before = createBatchStats(db);
    const specs = Array.from({ length: 40 }, input);
    const audits = specs.map((_, index) => ({ actor: `operator@batch-${index}`, action: 'createVM', inputDigest: `digest-${index}`, written: false }));
    const operations = await Promise.all(specs.map((spec, index) => requestCreate(services, 'default', spec, null, undefined, undefined, audits[index])));
    const after = createBatchStats(db);
    expect(after.creates - before.creates).toBe(40);
    expect(after.batches - before.batches).toBeLessThan(40);
    expect(new Set(operations.map((operation) => operation.id)).size).toBe(40);
    expect(audits.every((audit) => audit.written)).toBe(true);
    const rows = await sql<{ name: string; vm_id: string; events: number; jobs: number; actor: string | null }[]>`
      select v.name, o.vm_id,
             (select count(*)::int from vms.vm_events e where e.vm_id = o.vm_id and e.type = 'CREATED') as events,
             (select count(*)::int from graphile_worker.jobs j where j.key = 'op:' || o.id::text) as jobs,
             (select a.actor from vms.audit_log a where a.operation_id = o.id and a.target_id = o.vm_id::text) as actor
      from vms.operations o join vms.vms v on v.id = o.vm_id
      where o.id = any(${operations.map((operation) => operation.id)}::uuid[])`;
    const byName = new Map(rows.map((row) => [row.name, row]));
    specs.forEach((spec, index) => {
      expect(byName.get(spec.name)).toMatchObject({ vm_id: operations[index]!.vmId, events: 1, jobs: 1, actor: `operator@batch-${index}` });
    });
  });

  it('answers each create of a batch that Postgres refuses as a whole on its own: the others are written', async () => {
    const before = createBatchStats(db);
    const good = Array.from({ length: 12 }, (_, index) => values(`good-${index}-${randomBytes(3).toString('hex')}`));
    // An image Postgres refuses (NOT NULL): only the statement can tell, so it fails the whole batch it is in.
    const refused = { ...values(`refused-${randomBytes(3).toString('hex')}`), vm: { ...input(), image: null } } as unknown as CreateOperationValues;
    // Issued together: the first is sent alone at once (nothing in flight), the other twelve (refused
    // last) wait for it and go as one batch.
    const results = await Promise.allSettled([...good, refused].map((value) => insertCreateOperation(db, value)));
    expect(results.slice(0, 12).every((result) => result.status === 'fulfilled' && result.value !== null)).toBe(true);
    expect(results[12]).toMatchObject({ status: 'rejected', reason: { code: '23502' } });
    expect(createBatchStats(db).batches - before.batches).toBe(2);
    expect(createBatchStats(db).split - before.split).toBe(1);
    const written = await sql`select 1 from vms.operations where id = any(${good.map((value) => value.operationId)}::uuid[])`;
    expect(written).toHaveLength(12);
    const none = await sql`select 1 from vms.operations where id = ${refused.operationId}`;
    expect(none).toHaveLength(0);
  });

  it('fails every create of a batch that loses its connection, without writing them again one by one', async () => {
    // A pool whose server is gone: each create fails as it would alone (a transient error the resolver
    // answers with UNAVAILABLE), and none is retried, since a lost connection leaves a commit unknown.
    const gone = createSql(`postgres://novacron@127.0.0.1:${await freePort()}/none`, { max: 2 });
    try {
      const unreachable = createDatabase(gone);
      const results = await Promise.allSettled(Array.from({ length: 7 }, () => insertCreateOperation(unreachable, values(`lost-${randomBytes(3).toString('hex')}`))));
      expect(results.every((result) => result.status === 'rejected' && isTransientDatabaseError(result.reason))).toBe(true);
      const stats = createBatchStats(unreachable);
      expect(stats.creates).toBe(7);
      expect(stats.batches).toBeLessThan(7);
      expect(stats.split).toBe(0);
    } finally {
      await gone.end({ timeout: 1 });
    }
  });
});
