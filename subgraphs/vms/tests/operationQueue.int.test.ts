import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { createSql } from '@novacron/db';
import { createLogger } from '@novacron/server-kit';
import { createDatabase, type Database } from '../src/db/createDatabase.ts';
import { migrateVms } from '../src/db/migrateVms.ts';
import { operations, vms } from '../src/db/schema.ts';
import { requestAction, requestCreate } from '../src/domain/requestOperation.ts';
import type { VmsServices } from '../src/context.ts';
import { claimOperation } from '../src/worker/claimOperation.ts';
import { executeOperation } from '../src/worker/executeOperation.ts';
import { LeaseLostError } from '../src/worker/LeaseLostError.ts';
import { OperationRun } from '../src/worker/OperationRun.ts';
import { sweepExpiredLeases } from '../src/worker/sweepExpiredLeases.ts';
import type { WorkerContext } from '../src/worker/WorkerContext.ts';
import { testServices } from './support/testServices.ts';

let database: TestDatabase;
let db: Database;
let services: VmsServices;
const input = { name: 'queue-1', provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', image: 'debian-12' };

function workerContext(workerId: string): WorkerContext {
  return { db, providers: services.providers, logger: createLogger('test', 'silent'), workerId, leaseSeconds: 30, retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 }, maxRedrives: 3, transitionTimeoutSeconds: 10 };
}

async function jobKeys(): Promise<string[]> {
  const rows = await database.sql<{ key: string }[]>`select key from graphile_worker._private_jobs where key is not null order by id`;
  return rows.map((row) => row.key);
}

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateVms(database.url);
  const sql = createSql(database.url, { max: 5 });
  services = testServices(sql, database.url, { capacityPerRegion: 100 });
  db = services.db;
});
afterAll(async () => {
  await database?.drop();
});

describe('operation queue', () => {
  it('writes the operation and its job in one transaction', async () => {
    const operation = await requestCreate(services, 'default', input, null);
    expect(await jobKeys()).toContain(`op:${operation.id}`);
  });

  it('writes neither operation nor job when the request is refused', async () => {
    const operation = await requestCreate(services, 'default', { ...input, name: 'queue-2' }, null);
    const before = await jobKeys();
    const [{ n: operationsBefore } = { n: 0 }] = await database.sql<{ n: number }[]>`select count(*)::int as n from vms.operations`;
    // The VM is PENDING: starting it breaks the lifecycle policy inside the enqueue transaction.
    await db.update(operations).set({ status: 'SUCCEEDED' }).where(eq(operations.id, operation.id));
    await expect(requestAction(services, 'default', { kind: 'START', vmId: operation.vmId, idempotencyKey: 'refused' })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await jobKeys()).toEqual(before);
    const [{ n: operationsAfter } = { n: -1 }] = await database.sql<{ n: number }[]>`select count(*)::int as n from vms.operations`;
    expect(operationsAfter).toBe(operationsBefore);
  });

  it('stops a stale worker from writing once the sweeper handed its operation to another', async () => {
    const operation = await requestCreate(services, 'default', { ...input, name: 'queue-3' }, null);
    const stale = await claimOperation(db, operation.id, 'stale-worker', 0);
    expect(stale?.leaseOwner).toBe('stale-worker');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const sweep = await sweepExpiredLeases(db, { leaseSeconds: 30, queuedLeaseSeconds: 300 });
    expect(sweep.redriven).toContain(operation.id);
    expect(await jobKeys()).toContain(`op:${operation.id}`);

    const [vm] = await db.select().from(vms).where(eq(vms.id, operation.vmId));
    const staleRun = new OperationRun(workerContext('stale-worker'), stale!, vm!, services.providers.get('aws')!, { lost: false, stop: () => {} });
    await expect(staleRun.guarded(async () => 'wrote')).rejects.toBeInstanceOf(LeaseLostError);

    await executeOperation(workerContext('fresh-worker'), operation.id);
    const [done] = await db.select().from(operations).where(eq(operations.id, operation.id));
    expect(done?.status).toBe('SUCCEEDED');
    expect(done?.attempts).toBe(2);
  });

  it('fails an operation that keeps losing its worker after the re-drive budget, deleting the instance it made', async () => {
    const operation = await requestCreate(services, 'default', { ...input, name: 'queue-4' }, null);
    // One of the doomed workers got as far as creating the instance before it died.
    const made = await services.providers.get('aws')!.create({ clientToken: operation.id, name: 'queue-4', region: input.region, instanceType: input.instanceType, image: input.image, labels: {} });
    for (let round = 0; round < 4; round += 1) {
      await claimOperation(db, operation.id, `doomed-${round}`, 0);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const sweep = await sweepExpiredLeases(db, { leaseSeconds: 0, queuedLeaseSeconds: 300 });
      expect(sweep.redriven).toContain(operation.id);
    }
    await executeOperation(workerContext('survivor'), operation.id);
    const [done] = await db.select().from(operations).where(eq(operations.id, operation.id));
    expect(done?.status).toBe('FAILED');
    expect(done?.errorMessage).toMatch(/gave up after 3 re-drives/);
    const [vm] = await db.select().from(vms).where(eq(vms.id, operation.vmId));
    expect(vm?.status).toBe('ERROR');
    expect(vm?.providerId).toBe(made.providerId);
    const [instance] = await database.sql<{ state: string }[]>`select state from simcloud.instances where client_token = ${operation.id}`;
    expect(instance?.state).toBe('DELETED');
  });

  it('never fails, counts or re-drives a queued operation however long it waits for a worker', async () => {
    const operation = await requestCreate(services, 'default', { ...input, name: 'queue-7' }, null);
    for (let round = 0; round < 5; round += 1) {
      // A long queue: the operation's check time passes again and again before any worker is free.
      await database.sql`update vms.operations set lease_expires_at = now() - interval '1 second' where id = ${operation.id}`;
      const sweep = await sweepExpiredLeases(db, { leaseSeconds: 1, queuedLeaseSeconds: 1 });
      expect(sweep.redriven).not.toContain(operation.id);
      expect(sweep.requeued).not.toContain(operation.id);
    }
    const [waiting] = await db.select().from(operations).where(eq(operations.id, operation.id));
    expect(waiting).toMatchObject({ status: 'QUEUED', redriveCount: 0, leaseEpoch: 0 });
    await executeOperation(workerContext('finally-free'), operation.id);
    const [done] = await db.select().from(operations).where(eq(operations.id, operation.id));
    expect(done?.status).toBe('SUCCEEDED');
  });

  it('does not count a re-driven operation again while it waits in the queue for a new worker', async () => {
    const operation = await requestCreate(services, 'default', { ...input, name: 'queue-8' }, null);
    await claimOperation(db, operation.id, 'died', 0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await sweepExpiredLeases(db, { leaseSeconds: 0, queuedLeaseSeconds: 0 })).redriven).toContain(operation.id);
    for (let round = 0; round < 4; round += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await sweepExpiredLeases(db, { leaseSeconds: 0, queuedLeaseSeconds: 0 });
    }
    const [waiting] = await db.select().from(operations).where(eq(operations.id, operation.id));
    expect(waiting).toMatchObject({ status: 'RUNNING', leaseOwner: null, redriveCount: 1 });
    await executeOperation(workerContext('next'), operation.id);
    const [done] = await db.select().from(operations).where(eq(operations.id, operation.id));
    expect(done?.status).toBe('SUCCEEDED');
  });

  it('leaves a finished operation alone when a duplicate job runs it again', async () => {
    const operation = await requestCreate(services, 'default', { ...input, name: 'queue-5' }, null);
    await executeOperation(workerContext('first'), operation.id);
    const [first] = await db.select().from(operations).where(eq(operations.id, operation.id));
    await executeOperation(workerContext('duplicate'), operation.id);
    const [second] = await db.select().from(operations).where(eq(operations.id, operation.id));
    expect(first?.status).toBe('SUCCEEDED');
    expect(second?.version).toBe(first?.version);
  });
});

describe('stuck transactions', () => {
  it('answers a mutation blocked by a stuck transaction with a clear UNAVAILABLE error instead of hanging, writing nothing', async () => {
    const created = await requestCreate(services, 'default', { ...input, name: 'queue-10' }, null);
    await executeOperation(workerContext('creator'), created.id);
    const impatientSql = createSql(database.url, { max: 2, lockTimeoutMs: 200 });
    const impatient: VmsServices = { ...services, db: createDatabase(impatientSql) };
    const holder = await database.sql.reserve();
    try {
      await holder`begin`;
      await holder`select id from vms.vms where id = ${created.vmId} for update`;
      const error = await requestAction(impatient, 'default', { kind: 'STOP', vmId: created.vmId, idempotencyKey: 'stuck-1' }).then(() => null, (caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'UNAVAILABLE', extensions: { code: 'UNAVAILABLE', reason: 'DATABASE_UNAVAILABLE' } });
      const [written] = await database.sql<{ n: number }[]>`select count(*)::int as n from vms.operations where idempotency_key = 'stuck-1'`;
      expect(written?.n).toBe(0);
    } finally {
      await holder`rollback`;
      holder.release();
      await impatientSql.end();
    }
  });
});

describe('sweeper', () => {
  it('gives a new job, uncounted, to a queued operation whose job is held by a worker that died before claiming it', async () => {
    const operation = await requestCreate(services, 'default', { ...input, name: 'queue-6' }, null);
    // What a worker SIGKILLed right after taking the job leaves behind: a locked job, a QUEUED operation.
    await database.sql`update graphile_worker._private_jobs set locked_at = now() - interval '1 minute', locked_by = 'dead-worker' where key = ${`op:${operation.id}`}`;
    const untouched = await sweepExpiredLeases(db, { leaseSeconds: 120, queuedLeaseSeconds: 300 });
    expect(untouched.requeued).not.toContain(operation.id);
    const sweep = await sweepExpiredLeases(db, { leaseSeconds: 30, queuedLeaseSeconds: 300 });
    expect(sweep.requeued).toContain(operation.id);
    const [job] = await database.sql<{ locked_at: Date | null }[]>`select locked_at from graphile_worker._private_jobs where key = ${`op:${operation.id}`}`;
    expect(job?.locked_at).toBeNull();
    await executeOperation(workerContext('rescuer'), operation.id);
    const [done] = await db.select().from(operations).where(eq(operations.id, operation.id));
    expect(done).toMatchObject({ status: 'SUCCEEDED', redriveCount: 0 });
  });

  it('gives a new job to a queued operation whose job ran out of attempts', async () => {
    const operation = await requestCreate(services, 'default', { ...input, name: 'queue-9' }, null);
    await database.sql`update graphile_worker._private_jobs set attempts = max_attempts, run_at = now() + interval '1 hour' where key = ${`op:${operation.id}`}`;
    await database.sql`update vms.operations set lease_expires_at = now() - interval '1 second' where id = ${operation.id}`;
    const sweep = await sweepExpiredLeases(db, { leaseSeconds: 30, queuedLeaseSeconds: 300 });
    expect(sweep.requeued).toContain(operation.id);
    const [job] = await database.sql<{ attempts: number }[]>`select attempts from graphile_worker._private_jobs where key = ${`op:${operation.id}`}`;
    expect(job?.attempts).toBe(0);
  });
});
