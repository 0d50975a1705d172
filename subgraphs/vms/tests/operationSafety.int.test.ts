import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createSql, type Sql } from '@novacron/db';
import { createProviderRegistry, injectFault, type ProviderDriver, type ProviderRegistry } from '@novacron/providers';
import { createLogger } from '@novacron/server-kit';
import { createTestDatabase, waitFor, type TestDatabase } from '@novacron/testing';
import type { VmsServices } from '../src/context.ts';
import { createDatabase, type Database } from '../src/db/createDatabase.ts';
import { migrateVms } from '../src/db/migrateVms.ts';
import { operations, vms } from '../src/db/schema.ts';
import { requestAction, requestCreate } from '../src/domain/requestOperation.ts';
import { claimOperation } from '../src/worker/claimOperation.ts';
import { executeOperation } from '../src/worker/executeOperation.ts';
import { LeaseLostError } from '../src/worker/LeaseLostError.ts';
import { OperationRun } from '../src/worker/OperationRun.ts';
import { stepHandlers, vmIdTag } from '../src/worker/stepHandlers.ts';
import type { WorkerContext } from '../src/worker/WorkerContext.ts';
import { testServices } from './support/testServices.ts';

let database: TestDatabase;
let sql: Sql;
let db: Database;
let services: VmsServices;
const silent = createLogger('test', 'silent');
let counter = 0;
const input = (region = 'us-east-1') => ({ name: `safety-${(counter += 1)}-${randomBytes(3).toString('hex')}`, provider: 'aws', region, instanceType: 't3.micro', image: 'debian-12' });

function workerContext(workerId: string, overrides: Partial<WorkerContext> = {}): WorkerContext {
  return { db, providers: services.providers, logger: silent, workerId, leaseSeconds: 30, retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 50 }, maxRedrives: 3, transitionTimeoutSeconds: 30, ...overrides };
}

async function operationRow(id: string) {
  const [row] = await db.select().from(operations).where(eq(operations.id, id));
  return row!;
}

async function vmRow(id: string) {
  const [row] = await db.select().from(vms).where(eq(vms.id, id));
  return row!;
}

/** Instances the simulated cloud holds for a VM, counted as a real cloud shows them: by the VM-id tag or by name. */
async function instancesOfVm(vmId: string, name: string): Promise<{ tagged: number; named: number; live: number }> {
  const [row] = await sql<{ tagged: number; named: number; live: number }[]>`
    select count(*) filter (where labels->>${vmIdTag} = ${vmId})::int as tagged,
           count(*) filter (where name = ${name})::int as named,
           count(*) filter (where name = ${name} and state not in ('DELETED', 'DELETING') and coalesce(target_state, '') <> 'DELETED')::int as live
    from simcloud.instances`;
  return row!;
}

/** A run whose lease another worker has taken in the database, while its own heartbeat has not noticed yet. */
async function staleRun(operationId: string, driver: ProviderDriver): Promise<OperationRun> {
  const stale = await claimOperation(db, operationId, 'paused-worker', 30);
  await sql`update vms.operations set lease_epoch = lease_epoch + 1, lease_owner = 'new-owner' where id = ${operationId}`;
  const vm = await vmRow(stale!.vmId);
  return new OperationRun(workerContext('paused-worker'), stale!, vm, driver, { lost: false, stop: () => {} });
}

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateVms(database.url);
  sql = createSql(database.url, { max: 5 });
  services = testServices(sql, database.url);
  db = services.db;
});
afterAll(async () => {
  await sql?.end();
  await database?.drop();
});

describe('provider calls are fenced by the lease', () => {
  it('does not create at the provider once the lease moved on, even before the heartbeat notices', async () => {
    const spec = input();
    const operation = await requestCreate(services, 'default', spec, null);
    await sql`update vms.vms set status = 'PROVISIONING' where id = ${operation.vmId}`;
    const run = await staleRun(operation.id, services.providers.get('aws')!);
    await expect(stepHandlers.CREATE.provision!(run)).rejects.toBeInstanceOf(LeaseLostError);
    expect(await instancesOfVm(operation.vmId, spec.name)).toMatchObject({ tagged: 0, named: 0 });
  });

  it('does not stop at the provider once the lease moved on', async () => {
    const created = await requestCreate(services, 'default', input(), null);
    await executeOperation(workerContext('creator'), created.id);
    const stop = await requestAction(services, 'default', { kind: 'STOP', vmId: created.vmId, idempotencyKey: null });
    // The answer carries the VM as the stop was accepted (locked, still RUNNING), whatever comes next.
    expect(stop.acceptedVm).toMatchObject({ id: created.vmId, status: 'RUNNING' });
    await sql`update vms.vms set status = 'STOPPING' where id = ${created.vmId}`;
    const run = await staleRun(stop.id, services.providers.get('aws')!);
    await expect(stepHandlers.STOP.stop!(run)).rejects.toBeInstanceOf(LeaseLostError);
    const instance = await services.providers.get('aws')!.get((await vmRow(created.vmId)).providerId!);
    expect(instance?.state).toBe('RUNNING');
  });

  it('records the pending-create marker before the create call reaches the provider', async () => {
    const aws = services.providers.get('aws')!;
    let markerSeenByProvider: string | null | undefined;
    const spy: ProviderDriver = {
      ...aws,
      create: async (request) => {
        const [row] = await sql<{ steps: { name: string; message: string | null }[] }[]>`select steps from vms.operations where id = ${request.clientToken}`;
        markerSeenByProvider = row?.steps.find((step) => step.name === 'provision')?.message;
        return aws.create(request);
      },
    };
    const spyRegistry: ProviderRegistry = {
      ...services.providers,
      get: (name) => (name === 'aws' ? spy : services.providers.get(name)),
      forTenant: async (tenantId, name) => (name === 'aws' ? spy : services.providers.forTenant(tenantId, name)),
    };
    const spec = input();
    const operation = await requestCreate(services, 'default', spec, null);
    await executeOperation(workerContext('marker', { providers: spyRegistry }), operation.id);
    expect(markerSeenByProvider).toBe(`create requested at the provider with client token ${operation.id}`);
    expect((await operationRow(operation.id)).status).toBe('SUCCEEDED');
    expect(await instancesOfVm(operation.vmId, spec.name)).toMatchObject({ tagged: 1, named: 1 });
  });
});

describe('instances are never orphaned', () => {
  it('deletes the instance a create made when the create fails after making it', async () => {
    const slow = createProviderRegistry({ sql, latencyMs: { min: 1_500, max: 1_500 }, capacityPerRegion: 1_000 });
    const spec = input();
    const operation = await requestCreate(services, 'default', spec, null);
    const running = executeOperation(workerContext('failing-create', { providers: slow }), operation.id);
    // The instance breaks while the create waits for it to run: a permanent failure after the create call.
    await waitFor(async () => (await sql`update simcloud.instances set state = 'ERROR', target_state = null, settles_at = null where client_token = ${operation.id} and state = 'PENDING' returning 1`).length > 0, { intervalMs: 20, description: 'the instance to exist' });
    await running;
    const done = await operationRow(operation.id);
    expect(done.status).toBe('FAILED');
    expect(done.errorProviderCode).toBe('InstanceError');
    const vm = await vmRow(operation.vmId);
    expect(vm.status).toBe('ERROR');
    expect(await instancesOfVm(operation.vmId, spec.name)).toMatchObject({ tagged: 1, live: 0 });
  });

  it('finds and deletes the instance of a VM whose create never recorded a provider id', async () => {
    const spec = input();
    const operation = await requestCreate(services, 'default', spec, null);
    // A create that made its instance and then failed before recording the provider id.
    await services.providers.get('aws')!.create({ clientToken: operation.id, ...spec, labels: {} });
    await sql`update vms.operations set status = 'FAILED', finished_at = now(), lease_expires_at = null where id = ${operation.id}`;
    await sql`update vms.vms set status = 'ERROR' where id = ${operation.vmId}`;
    const remove = await requestAction(services, 'default', { kind: 'DELETE', vmId: operation.vmId, idempotencyKey: null });
    await executeOperation(workerContext('deleter'), remove.id);
    expect((await operationRow(remove.id)).status).toBe('SUCCEEDED');
    expect((await vmRow(operation.vmId)).status).toBe('DELETED');
    expect(await instancesOfVm(operation.vmId, spec.name)).toMatchObject({ named: 1, live: 0 });
  });
});

describe('database errors inside a step', () => {
  it('waits out a lock timeout in a step\'s write and resumes the operation instead of failing it', async () => {
    // The worker's pool gives up on a lock after 200 ms (55P03), as every pool now does after its
    // lock_timeout: the same class of error as a reset connection or a Postgres restart.
    const victimSql = createSql(database.url, { max: 4, applicationName: 'victim-worker', lockTimeoutMs: 200 });
    const victimDb = createDatabase(victimSql);
    const victimProviders = createProviderRegistry({ sql: victimSql, latencyMs: { min: 800, max: 800 }, capacityPerRegion: 1_000 });
    const holder = await sql.reserve();
    try {
      const operation = await requestCreate(services, 'default', input(), null);
      const running = executeOperation(workerContext('victim', { db: victimDb, providers: victimProviders }), operation.id);
      // Hold the VM's row as soon as the instance exists, long before its 800 ms boot is over (waiting
      // for the wait step first lost that race on a loaded machine: the VM was running before the row
      // was locked): the worker's next write of it (the provision step's end or the success) waits and
      // times out, again and again, while the row stays locked. (The simulated cloud's reads take no
      // lock, so holding the instance's row no longer stops the worker.)
      await waitFor(async () => (await sql`select 1 from simcloud.instances where client_token = ${operation.id}`).length > 0, { intervalMs: 5, description: 'the instance' });
      await holder`begin`;
      await holder`select id from vms.vms where id = ${operation.vmId} for update`;
      await waitFor(async () => (await sql`select 1 from pg_stat_activity where application_name = 'victim-worker' and wait_event_type = 'Lock'`).length > 0, { intervalMs: 10, description: 'the worker to wait on the row' });
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect((await operationRow(operation.id)).status).toBe('RUNNING');
      await holder`rollback`;
      await running;
      const done = await operationRow(operation.id);
      expect(done.status).toBe('SUCCEEDED');
      expect((await vmRow(operation.vmId)).status).toBe('RUNNING');
    } finally {
      holder.release();
      await victimSql.end();
    }
  });
});

describe('provider errors shown to clients', () => {
  it('keeps the provider code and drops account ids, ARNs and addresses from the message', async () => {
    await injectFault(sql, {
      provider: 'aws',
      action: 'create',
      kind: 'permanent',
      count: 1,
      region: 'eu-north-1',
      code: 'UnauthorizedOperation',
      message: 'User: arn:aws:iam::123456789012:user/deploy is not authorized to perform: ec2:RunInstances from 10.1.2.3',
    });
    const operation = await requestCreate(services, 'default', input('eu-north-1'), null);
    await executeOperation(workerContext('sanitizer'), operation.id);
    const done = await operationRow(operation.id);
    expect(done.status).toBe('FAILED');
    expect(done.errorProviderCode).toBe('UnauthorizedOperation');
    expect(done.errorMessage).toBe('User: [arn] is not authorized to perform: ec2:RunInstances from [address]');
    expect(JSON.stringify(done.steps)).not.toMatch(/123456789012|10\.1\.2\.3/);
  });
});
