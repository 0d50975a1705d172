import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCredentialKeys } from '../src/domain/credentialCipher.ts';
import { eq } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { createSql } from '@novacron/db';
import { createProviderRegistry } from '@novacron/providers';
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
import { testConfig } from './support/testConfig.ts';

let database: TestDatabase;
let db: Database;
let services: VmsServices;
const input = { name: 'queue-1', provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', image: 'debian-12' };

function workerContext(workerId: string): WorkerContext {
  return { db, providers: services.providers, logger: createLogger('test', 'silent'), workerId, leaseSeconds: 30, retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 }, transitionTimeoutSeconds: 10 };
}

async function jobKeys(): Promise<string[]> {
  const rows = await database.sql<{ key: string }[]>`select key from graphile_worker._private_jobs where key is not null order by id`;
  return rows.map((row) => row.key);
}

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateVms(database.url);
  const sql = createSql(database.url, { max: 5 });
  db = createDatabase(sql);
  const config = testConfig(database.url);
  services = { db, providers: createProviderRegistry({ sql, latencyMs: { min: 0, max: 0 }, capacityPerRegion: 100 }), config, credentialKeys: parseCredentialKeys(`test:${randomBytes(32).toString('base64')}`) };
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
    const sweep = await sweepExpiredLeases(db, { leaseSeconds: 30, maxRedrives: 3 });
    expect(sweep.redriven).toContain(operation.id);
    expect(await jobKeys()).toContain(`op:${operation.id}:redrive:1`);

    const [vm] = await db.select().from(vms).where(eq(vms.id, operation.vmId));
    const staleRun = new OperationRun(workerContext('stale-worker'), stale!, vm!, services.providers.get('aws')!, { lost: false, stop: () => {} });
    await expect(staleRun.guarded(async () => 'wrote')).rejects.toBeInstanceOf(LeaseLostError);

    await executeOperation(workerContext('fresh-worker'), operation.id);
    const [done] = await db.select().from(operations).where(eq(operations.id, operation.id));
    expect(done?.status).toBe('SUCCEEDED');
    expect(done?.attempts).toBe(2);
  });

  it('fails an operation that keeps losing its worker after the re-drive budget', async () => {
    const operation = await requestCreate(services, 'default', { ...input, name: 'queue-4' }, null);
    for (let round = 0; round < 4; round += 1) {
      await claimOperation(db, operation.id, `doomed-${round}`, 0);
      await new Promise((resolve) => setTimeout(resolve, 20));
      await sweepExpiredLeases(db, { leaseSeconds: 0, maxRedrives: 3 });
    }
    const [done] = await db.select().from(operations).where(eq(operations.id, operation.id));
    expect(done?.status).toBe('FAILED');
    expect(done?.errorMessage).toMatch(/gave up after 3 re-drives/);
    const [vm] = await db.select().from(vms).where(eq(vms.id, operation.vmId));
    expect(vm?.status).toBe('ERROR');
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

describe('sweeper', () => {
  it('re-drives a queued operation whose job is held by a worker that died before claiming it', async () => {
    const operation = await requestCreate(services, 'default', { ...input, name: 'queue-6' }, null);
    // What a worker SIGKILLed right after taking the job leaves behind: a locked job, a QUEUED operation.
    await database.sql`update graphile_worker._private_jobs set locked_at = now() - interval '1 minute', locked_by = 'dead-worker' where key = ${`op:${operation.id}`}`;
    const untouched = await sweepExpiredLeases(db, { leaseSeconds: 120, maxRedrives: 3 });
    expect(untouched.redriven).not.toContain(operation.id);
    const sweep = await sweepExpiredLeases(db, { leaseSeconds: 30, maxRedrives: 3 });
    expect(sweep.redriven).toContain(operation.id);
    await executeOperation(workerContext('rescuer'), operation.id);
    const [done] = await db.select().from(operations).where(eq(operations.id, operation.id));
    expect(done?.status).toBe('SUCCEEDED');
  });
});
