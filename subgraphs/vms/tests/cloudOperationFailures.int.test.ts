import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEc2Emulator, type Ec2Emulator } from '@novacron/cloud-emulators';
import { createSql } from '@novacron/db';
import { createAwsDriver, createProviderRegistry } from '@novacron/providers';
import { createLogger } from '@novacron/server-kit';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import type { VmsServices } from '../src/context.ts';
import type { Database } from '../src/db/createDatabase.ts';
import { migrateVms } from '../src/db/migrateVms.ts';
import { operations, vms } from '../src/db/schema.ts';
import { requestCreate } from '../src/domain/requestOperation.ts';
import { setProviderCredentials } from '../src/domain/setProviderCredentials.ts';
import { executeOperation } from '../src/worker/executeOperation.ts';
import { findCreatedInstance } from '../src/worker/findCreatedInstance.ts';
import { OperationRun } from '../src/worker/OperationRun.ts';
import type { WorkerContext } from '../src/worker/WorkerContext.ts';
import { testServices } from './support/testServices.ts';

const key = { accessKeyId: 'AKIAFAILURES0000001', secretAccessKey: randomBytes(24).toString('base64url') };
let database: TestDatabase;
let db: Database;
let services: VmsServices;
let emulator: Ec2Emulator;

beforeAll(async () => {
  emulator = await startEc2Emulator({ credentials: { [key.accessKeyId]: key.secretAccessKey } });
  database = await createTestDatabase();
  await migrateVms(database.url);
  const sql = createSql(database.url, { max: 5 });
  services = testServices(sql, database.url, {
    providers: (loadCredentials) =>
      // The driver searches eu-west-1 only when a call names no region: findCreatedInstance must name the VM's.
      createProviderRegistry({ sql, latencyMs: { min: 0, max: 0 }, capacityPerRegion: 100, loadCredentials, cloud: { aws: { endpoint: emulator.url, regions: ['eu-west-1'], pollHintMs: 10 } } }),
  });
  db = services.db;
  await setProviderCredentials(db, services.providers, services.credentialKeys, { tenantId: 'acme', actor: 'admin@acme', provider: 'aws', credentials: key });
});
afterAll(async () => {
  await emulator?.close();
  await database?.drop();
});

function worker(): WorkerContext {
  return { db, providers: services.providers, logger: createLogger('test', 'silent'), workerId: 'test-worker', leaseSeconds: 30, retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 }, maxRedrives: 3, transitionTimeoutSeconds: 10 };
}

describe('a real driver’s failures in the worker', () => {
  it('fails a create on a capacity error with the driver’s code, PROVIDER_CAPACITY, and the cloud’s own code', async () => {
    // EC2 answers capacity with a 500, which the SDK retries itself: enough faults to outlast its attempts.
    emulator.faults.inject({ action: 'RunInstances', kind: 'capacity', count: 10 });
    const operation = await requestCreate(services, 'acme', { name: 'no-room', provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', image: 'debian-12' }, null);
    await executeOperation(worker(), operation.id);
    emulator.faults.clear();
    const [done] = await db.select().from(operations).where(eq(operations.id, operation.id));
    expect(done).toMatchObject({ status: 'FAILED', errorCode: 'PROVIDER_CAPACITY', errorProviderCode: 'InsufficientInstanceCapacity' });
    const [vm] = await db.select().from(vms).where(eq(vms.id, operation.vmId));
    expect(vm?.status).toBe('ERROR');
  });

  it('finds a create’s instance in the VM’s region even when the driver would search other regions', async () => {
    const operation = await requestCreate(services, 'acme', { name: 'far-away', provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', image: 'debian-12' }, null);
    const [operationRow] = await db.select().from(operations).where(eq(operations.id, operation.id));
    const [vmRow] = await db.select().from(vms).where(eq(vms.id, operation.vmId));
    const driver = createAwsDriver({ credentials: key, endpoint: emulator.url, regions: ['eu-west-1'], pollHintMs: 10 });
    // The instance exists (made with the operation's id as client token) but its id was never recorded.
    const made = await driver.create({ clientToken: operation.id, name: 'far-away', region: 'us-east-1', instanceType: 't3.micro', image: 'debian-12', labels: {} });
    expect(await driver.findByClientToken(operation.id)).toBeNull();
    const run = new OperationRun(worker(), operationRow!, vmRow!, driver, { lost: false, stop: () => {} });
    expect((await findCreatedInstance(run))?.providerId).toBe(made.providerId);
  });
});
