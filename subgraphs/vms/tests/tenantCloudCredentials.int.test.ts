import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEc2Emulator, type Ec2Emulator } from '@novacron/cloud-emulators';
import { createSql } from '@novacron/db';
import { createProviderRegistry } from '@novacron/providers';
import { createLogger } from '@novacron/server-kit';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import type { VmsServices } from '../src/context.ts';
import type { Database } from '../src/db/createDatabase.ts';
import { migrateVms } from '../src/db/migrateVms.ts';
import { operations, vms } from '../src/db/schema.ts';
import { requestCreate } from '../src/domain/requestOperation.ts';
import { setProviderCredentials } from '../src/domain/setProviderCredentials.ts';
import { executeOperation } from '../src/worker/executeOperation.ts';
import type { WorkerContext } from '../src/worker/WorkerContext.ts';
import { testServices } from './support/testServices.ts';

const tenantKey = { accessKeyId: 'AKIAACMETENANT00001', secretAccessKey: randomBytes(24).toString('base64url') };
let database: TestDatabase;
let db: Database;
let services: VmsServices;
let emulator: Ec2Emulator;

beforeAll(async () => {
  emulator = await startEc2Emulator({ credentials: { [tenantKey.accessKeyId]: tenantKey.secretAccessKey } });
  database = await createTestDatabase();
  await migrateVms(database.url);
  const sql = createSql(database.url, { max: 5 });
  services = testServices(sql, database.url, {
    providers: (loadCredentials) =>
      createProviderRegistry({ sql, latencyMs: { min: 0, max: 0 }, capacityPerRegion: 100, loadCredentials, cloud: { aws: { endpoint: emulator.url, regions: ['us-east-1'], pollHintMs: 10 } } }),
  });
  db = services.db;
});
afterAll(async () => {
  await emulator?.close();
  await database?.drop();
});

function worker(): WorkerContext {
  return { db, providers: services.providers, logger: createLogger('test', 'silent'), workerId: 'test-worker', leaseSeconds: 30, retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 }, maxRedrives: 3, transitionTimeoutSeconds: 10 };
}

async function runCreate(tenantId: string, name: string) {
  const operation = await requestCreate(services, tenantId, { name, provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', image: 'debian-12' }, null);
  await executeOperation(worker(), operation.id);
  const [done] = await db.select().from(operations).where(eq(operations.id, operation.id));
  const [vm] = await db.select().from(vms).where(eq(vms.id, operation.vmId));
  return { done: done!, vm: vm! };
}

describe('a tenant’s stored cloud credentials', () => {
  it('reach the real AWS driver from the encrypted store, while other tenants stay simulated', async () => {
    await setProviderCredentials(db, services.providers, services.credentialKeys, { tenantId: 'acme', actor: 'admin@acme', provider: 'aws', credentials: tenantKey });
    expect((await services.providers.forTenant('acme', 'aws'))?.describe().simulated).toBe(false);

    const acme = await runCreate('acme', 'real-one');
    expect(acme.done.status).toBe('SUCCEEDED');
    expect(acme.vm).toMatchObject({ status: 'RUNNING', providerId: expect.stringMatching(/^arn:aws:ec2:us-east-1:\d+:instance\/i-/) });
    // The emulator verified every request's SigV4 signature against the tenant's secret.
    expect(emulator.signers()).toEqual([tenantKey.accessKeyId]);
    const [instance] = emulator.instances();
    expect(instance?.tags).toMatchObject({ 'managed-by': 'novacron', 'novacron:vm-id': acme.vm.id, 'novacron:tenant': 'acme', Name: 'real-one' });
    expect(instance?.clientToken).toBe(acme.done.id);

    const globex = await runCreate('globex', 'simulated-one');
    expect(globex.done.status).toBe('SUCCEEDED');
    expect(globex.vm.providerId).toMatch(/^i-[0-9a-f]{17}$/);
    expect(emulator.instances()).toHaveLength(1);
  });
});
