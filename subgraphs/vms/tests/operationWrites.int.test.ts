import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSql, type Sql } from '@novacron/db';
import { createProviderRegistry, injectFault, ProviderError, type ProviderDriver, type ProviderRegistry } from '@novacron/providers';
import { createLogger } from '@novacron/server-kit';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import type { VmsServices } from '../src/context.ts';
import { createDatabase, type Database } from '../src/db/createDatabase.ts';
import { migrateVms } from '../src/db/migrateVms.ts';
import type { StoredStep } from '../src/db/schema.ts';
import { cancelOperation } from '../src/domain/cancelOperation.ts';
import { requestAction, requestCreate } from '../src/domain/requestOperation.ts';
import { claimAfterLocalStep, claimOperation, readOperationForClaim } from '../src/worker/claimOperation.ts';
import { executeOperation } from '../src/worker/executeOperation.ts';
import { createLeaseKeeper } from '../src/worker/startLeaseHeartbeat.ts';
import type { WorkerContext } from '../src/worker/WorkerContext.ts';
import { testServices } from './support/testServices.ts';

let database: TestDatabase;
let sql: Sql;
let db: Database;
let services: VmsServices;
const silent = createLogger('test', 'silent');
const input = () => ({ name: `writes-${randomBytes(4).toString('hex')}`, provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', image: 'debian-12' });

function workerContext(overrides: Partial<WorkerContext> = {}): WorkerContext {
  return { db, providers: services.providers, logger: silent, workerId: 'writes', leaseSeconds: 30, retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 50 }, maxRedrives: 3, transitionTimeoutSeconds: 30, ...overrides };
}

/** A registry whose aws driver is `driver` (the others unchanged). */
function withAws(driver: ProviderDriver): ProviderRegistry {
  return { ...services.providers, get: (name) => (name === 'aws' ? driver : services.providers.get(name)), forTenant: async (tenantId, name) => (name === 'aws' ? driver : services.providers.forTenant(tenantId, name)) };
}

/** The operation's versions as its events recorded them, oldest first. */
async function operationVersions(operationId: string) {
  return sql<{ version: number; status: string; progress: number; steps: StoredStep[] }[]>`
    select operation_version as version, status, (payload->>'progress')::int as progress, payload->'steps' as steps
    from vms.operation_events where operation_id = ${operationId} order by seq`;
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

describe('the last step, finalize and the success are one write', () => {
  it('writes a create in three operation versions, the last one SUCCEEDED with every step finished', async () => {
    const operation = await requestCreate(services, 'default', input(), null);
    await executeOperation(workerContext(), operation.id);
    const versions = await operationVersions(operation.id);
    // The provision step's end rode with the wait's end (the instance was due at once and the wait's first poll found it running).
    expect(versions.map((row) => row.status)).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDED']);
    expect(versions.map((row) => row.progress)).toEqual([0, 25, 100]);
    const last = versions.at(-1)!;
    expect(last.steps.map((step) => [step.name, step.status])).toEqual([
      ['validate', 'SUCCEEDED'],
      ['provision', 'SUCCEEDED'],
      ['wait-running', 'SUCCEEDED'],
      ['finalize', 'SUCCEEDED'],
    ]);
    const finalize = last.steps.at(-1)!;
    expect(finalize.startedAt).not.toBeNull();
    expect(finalize.finishedAt).not.toBeNull();
    expect(last.steps[1]?.message).toMatch(/^created /);
    expect(last.steps[2]?.startedAt).toBe(last.steps[1]?.finishedAt);
    const [vm] = await sql<{ status: string; private_ip: string | null; provider_id: string | null }[]>`select status, private_ip, provider_id from vms.vms where id = ${operation.vmId}`;
    expect(vm).toMatchObject({ status: 'RUNNING' });
    expect(vm?.private_ip).toMatch(/^10\./);
    const vmEvents = await sql<{ type: string; status: string; provider_id: string | null }[]>`
      select type, payload->>'status' as status, payload->>'providerId' as provider_id from vms.vm_events where vm_id = ${operation.vmId} order by seq`;
    // Created, provisioning, then running with its instance and addresses.
    expect(vmEvents.map((event) => event.status)).toEqual(['PENDING', 'PROVISIONING', 'RUNNING']);
    expect(vmEvents.at(-1)?.provider_id).toBe(vm?.provider_id);
    const instances = await sql<{ provider_id: string }[]>`select provider_id from simcloud.instances where client_token = ${operation.id}`;
    expect(instances.map((instance) => instance.provider_id)).toEqual([vm?.provider_id]);
  });

  it('ends a stop with its wait step in the same write as the success', async () => {
    const created = await requestCreate(services, 'default', input(), null);
    await executeOperation(workerContext(), created.id);
    const stop = await requestAction(services, 'default', { kind: 'STOP', vmId: created.vmId, idempotencyKey: null });
    await executeOperation(workerContext(), stop.id);
    const versions = await operationVersions(stop.id);
    expect(versions.map((row) => [row.status, row.progress])).toEqual([
      ['QUEUED', 0],
      ['RUNNING', 0],
      ['RUNNING', 33],
      ['SUCCEEDED', 100],
    ]);
    const [vm] = await sql<{ status: string }[]>`select status from vms.vms where id = ${created.vmId}`;
    expect(vm?.status).toBe('STOPPED');
  });

  it('lets a cancellation requested during the last step win over the success, deleting the half-made instance', async () => {
    const aws = services.providers.get('aws')!;
    let operationId = '';
    // The wait step's poll: the client cancels while the worker is waiting for the instance to run.
    const cancellingDuringWait: ProviderDriver = {
      ...aws,
      get: async (providerId) => {
        await cancelOperation(db, 'default', operationId);
        return aws.get(providerId);
      },
    };
    const operation = await requestCreate(services, 'default', input(), null);
    operationId = operation.id;
    await executeOperation(workerContext({ providers: withAws(cancellingDuringWait) }), operation.id);
    const [row] = await sql<{ status: string; steps: StoredStep[] }[]>`select status, steps from vms.operations where id = ${operation.id}`;
    expect(row?.status).toBe('CANCELLED');
    expect(row?.steps.map((step) => step.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SKIPPED']);
    const [vm] = await sql<{ status: string }[]>`select status from vms.vms where id = ${operation.vmId}`;
    expect(vm?.status).toBe('DELETED');
    const live = await sql`select 1 from simcloud.instances where client_token = ${operation.id} and state not in ('DELETED', 'DELETING') and coalesce(target_state, '') <> 'DELETED'`;
    expect(live).toHaveLength(0);
  });

  it('reads the provider in finalize when the run has not seen the settled instance (a re-drive that resumes at finalize)', async () => {
    const created = await requestCreate(services, 'default', input(), null);
    await executeOperation(workerContext(), created.id);
    const stop = await requestAction(services, 'default', { kind: 'STOP', vmId: created.vmId, idempotencyKey: null });
    // A worker stopped the instance and ended the wait step, then died before finalize.
    const [vm] = await sql<{ provider_id: string }[]>`select provider_id from vms.vms where id = ${created.vmId}`;
    await services.providers.get('aws')!.stop(vm!.provider_id);
    const now = new Date().toISOString();
    await sql`
      update vms.operations set steps = ${JSON.stringify([
        { name: 'stop', status: 'SUCCEEDED', startedAt: now, finishedAt: now, message: null },
        { name: 'wait-stopped', status: 'SUCCEEDED', startedAt: now, finishedAt: now, message: null },
        { name: 'finalize', status: 'PENDING', startedAt: null, finishedAt: null, message: null },
      ])}::jsonb, progress = 67 where id = ${stop.id}`;
    let reads = 0;
    const aws = services.providers.get('aws')!;
    const counting: ProviderDriver = { ...aws, get: async (providerId) => ((reads += 1), aws.get(providerId)) };
    await executeOperation(workerContext({ providers: withAws(counting) }), stop.id);
    expect(reads).toBe(1);
    const [row] = await sql<{ status: string; progress: number }[]>`select status, progress from vms.operations where id = ${stop.id}`;
    expect(row).toEqual({ status: 'SUCCEEDED', progress: 100 });
    const [after] = await sql<{ status: string }[]>`select status from vms.vms where id = ${created.vmId}`;
    expect(after?.status).toBe('STOPPED');
  });
});

describe('the provision step\'s end rides with the wait\'s end', () => {
  /** The aws driver with `get` answering `first` for its first call (then the real answer). */
  const firstPollAnswers = (first: (real: Awaited<ReturnType<ProviderDriver['get']>>) => Promise<Awaited<ReturnType<ProviderDriver['get']>>>): ProviderDriver => {
    const aws = services.providers.get('aws')!;
    let polls = 0;
    return { ...aws, get: async (providerId) => ((polls += 1), polls === 1 ? first(await aws.get(providerId)) : aws.get(providerId)) };
  };

  it('writes the provision step\'s end (the instance on the VM) when the wait\'s first poll does not end it', async () => {
    const stillPending = firstPollAnswers(async (real) => real && { ...real, state: 'PENDING', settlesAt: new Date(Date.now() + 30) });
    const operation = await requestCreate(services, 'default', input(), null);
    await executeOperation(workerContext({ providers: withAws(stillPending) }), operation.id);
    const versions = await operationVersions(operation.id);
    expect(versions.map((row) => [row.status, row.progress])).toEqual([
      ['QUEUED', 0],
      ['RUNNING', 25],
      ['RUNNING', 50],
      ['SUCCEEDED', 100],
    ]);
    expect(versions[2]!.steps.map((step) => step.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'RUNNING', 'PENDING']);
    const vmEvents = await sql<{ status: string; provider_id: string | null }[]>`
      select payload->>'status' as status, payload->>'providerId' as provider_id from vms.vm_events where vm_id = ${operation.vmId} order by seq`;
    expect(vmEvents.map((event) => event.status)).toEqual(['PENDING', 'PROVISIONING', 'RUNNING', 'RUNNING']);
    expect(vmEvents[2]?.provider_id).not.toBeNull();
  });

  it('writes the provision step\'s end at once when the provider says the instance is due later than the bound', async () => {
    const aws = services.providers.get('aws')!;
    const slow: ProviderDriver = { ...aws, create: async (request) => ({ ...(await aws.create(request)), state: 'PENDING', settlesAt: new Date(Date.now() + 1_000) }) };
    const operation = await requestCreate(services, 'default', input(), null);
    let versionsDuringWait: { status: string; progress: number }[] = [];
    const watching: ProviderDriver = { ...slow, get: async (providerId) => ((versionsDuringWait = await operationVersions(operation.id)), aws.get(providerId)) };
    await executeOperation(workerContext({ providers: withAws(watching) }), operation.id);
    expect(versionsDuringWait.map((row) => [row.status, row.progress])).toEqual([
      ['QUEUED', 0],
      ['RUNNING', 25],
      ['RUNNING', 50],
    ]);
    const [row] = await sql<{ status: string }[]>`select status from vms.operations where id = ${operation.id}`;
    expect(row?.status).toBe('SUCCEEDED');
  });

  it('writes the provision step\'s end at once when the provider gives no due time for a transition under way', async () => {
    const aws = services.providers.get('aws')!;
    const silent: ProviderDriver = { ...aws, create: async (request) => ({ ...(await aws.create(request)), state: 'PENDING', settlesAt: null }) };
    const operation = await requestCreate(services, 'default', input(), null);
    let versionsDuringWait: { status: string; progress: number }[] = [];
    const watching: ProviderDriver = { ...silent, get: async (providerId) => ((versionsDuringWait = await operationVersions(operation.id)), aws.get(providerId)) };
    await executeOperation(workerContext({ providers: withAws(watching) }), operation.id);
    expect(versionsDuringWait.map((row) => row.progress)).toEqual([0, 25, 50]);
  });

  it('records the instance it made and deletes it when the wait\'s first poll finds it failed', async () => {
    const failing = firstPollAnswers(async (real) => real && { ...real, state: 'ERROR', settlesAt: null });
    const operation = await requestCreate(services, 'default', input(), null);
    await executeOperation(workerContext({ providers: withAws(failing) }), operation.id);
    const [row] = await sql<{ status: string; steps: StoredStep[] }[]>`select status, steps from vms.operations where id = ${operation.id}`;
    expect(row?.status).toBe('FAILED');
    expect(row?.steps.map((step) => step.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'FAILED', 'PENDING']);
    expect(row?.steps[1]?.message).toMatch(/^created /);
    const live = await sql`select 1 from simcloud.instances where client_token = ${operation.id} and state not in ('DELETED', 'DELETING') and coalesce(target_state, '') <> 'DELETED'`;
    expect(live).toHaveLength(0);
  });

  it('writes the held end before recording a retried poll', async () => {
    const transient = firstPollAnswers(async () => {
      throw new ProviderError('RequestLimitExceeded', 'slow down', { transient: true });
    });
    const operation = await requestCreate(services, 'default', input(), null);
    await executeOperation(workerContext({ providers: withAws(transient) }), operation.id);
    const versions = await operationVersions(operation.id);
    expect(versions.map((row) => row.status)).toEqual(['QUEUED', 'RUNNING', 'RUNNING', 'RUNNING', 'SUCCEEDED']);
    // The provision step's end, then the retry's note on the running wait step.
    expect(versions[2]!.steps.map((step) => step.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'RUNNING', 'PENDING']);
    expect(versions[3]!.steps[2]?.message).toMatch(/^attempt 2 after RequestLimitExceeded/);
  });

  it('leaves a worker that takes over during the wait the instance to adopt, never a second one', async () => {
    const operation = await requestCreate(services, 'default', input(), null);
    // While the first worker waits (nothing written since its claim), its lease lapses and another worker claims the operation.
    const takenOver = firstPollAnswers(async (real) => {
      await sql`update vms.operations set lease_expires_at = now() - interval '1 second' where id = ${operation.id}`;
      expect(await claimOperation(db, operation.id, 'other', 30)).not.toBeNull();
      return real;
    });
    await executeOperation(workerContext({ providers: withAws(takenOver) }), operation.id);
    const [held] = await sql<{ lease_owner: string; steps: StoredStep[] }[]>`select lease_owner, steps from vms.operations where id = ${operation.id}`;
    expect(held?.lease_owner).toBe('other');
    expect(held?.steps[1]?.status).toBe('RUNNING');
    // That worker dies too; the next one resumes at the provision step and finds the instance by its client token.
    await sql`update vms.operations set lease_expires_at = now() - interval '1 second' where id = ${operation.id}`;
    await executeOperation(workerContext(), operation.id);
    const [row] = await sql<{ status: string; steps: StoredStep[] }[]>`select status, steps from vms.operations where id = ${operation.id}`;
    expect(row?.status).toBe('SUCCEEDED');
    expect(row?.steps[1]?.message).toMatch(/^adopted existing instance /);
    const instances = await sql<{ provider_id: string }[]>`select provider_id from simcloud.instances where client_token = ${operation.id}`;
    const [vm] = await sql<{ provider_id: string | null }[]>`select provider_id from vms.vms where id = ${operation.vmId}`;
    expect(instances.map((instance) => instance.provider_id)).toEqual([vm?.provider_id]);
  });
});

describe('a busy worker writes a create\'s instance with its success (WORKER_COALESCE_ABOVE)', () => {
  /** Executes the operation under a lease keeper (which counts it as one running operation) with `coalescing`. */
  async function executeUnderLeases(operationId: string, providers: ProviderRegistry, coalescing: { above: number; withinMs: number }): Promise<void> {
    const leases = createLeaseKeeper(db, 30, silent);
    try {
      await executeOperation(workerContext({ providers, leases, coalescing }), operationId);
    } finally {
      leases.stop();
    }
  }

  /**
   * Runs a create against simulated clouds whose instances boot in 2.1–2.2 s (past the 0.5 s bound and
   * the 2 s poll interval), under a lease keeper, with `coalescing`; returns the operation's versions
   * as the wait's first poll found them, how often the wait polled, and the versions in the end.
   */
  async function runSlowCreate(coalescing: { above: number; withinMs: number }) {
    const aws = createProviderRegistry({ sql, latencyMs: { min: 2_100, max: 2_200 }, capacityPerRegion: 1_000 }).get('aws')!;
    const operation = await requestCreate(services, 'default', input(), null);
    let polls = 0;
    let versionsAtFirstPoll: { status: string; progress: number }[] = [];
    const watching: ProviderDriver = {
      ...aws,
      get: async (providerId) => {
        polls += 1;
        if (polls === 1) versionsAtFirstPoll = (await operationVersions(operation.id)).map(({ status, progress }) => ({ status, progress }));
        return aws.get(providerId);
      },
    };
    await executeUnderLeases(operation.id, withAws(watching), coalescing);
    const vmEvents = await sql<{ status: string; provider_id: string | null }[]>`
      select payload->>'status' as status, payload->>'providerId' as provider_id from vms.vm_events where vm_id = ${operation.vmId} order by seq`;
    return { operation, polls, versionsAtFirstPoll, versions: await operationVersions(operation.id), vmEvents };
  }

  it('holds the provision end until the wait\'s first poll, made when the instance is due, while it runs more operations than the threshold', async () => {
    // The keeper holds this create's lease: 1 running operation, above a threshold of 0.
    const { operation, polls, versionsAtFirstPoll, versions, vmEvents } = await runSlowCreate({ above: 0, withinMs: 5_000 });
    expect(versionsAtFirstPoll).toEqual([
      { status: 'QUEUED', progress: 0 },
      { status: 'RUNNING', progress: 25 },
    ]);
    // The first poll waited until the instance was due (not the usual 2 s at most) and found it running.
    expect(polls).toBe(1);
    expect(versions.map((row) => [row.status, row.progress])).toEqual([
      ['QUEUED', 0],
      ['RUNNING', 25],
      ['SUCCEEDED', 100],
    ]);
    expect(versions.at(-1)!.steps.map((step) => step.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(versions.at(-1)!.steps[1]?.message).toMatch(/^created /);
    expect(vmEvents.map((event) => event.status)).toEqual(['PENDING', 'PROVISIONING', 'RUNNING']);
    const instances = await sql<{ provider_id: string }[]>`select provider_id from simcloud.instances where client_token = ${operation.id}`;
    expect(instances.map((instance) => instance.provider_id)).toEqual([vmEvents.at(-1)?.provider_id]);
  });

  it('keeps the usual bound when the due time is a poll hint (a real cloud\'s), not the time the instance settles', async () => {
    const aws = services.providers.get('aws')!;
    // A real driver's answer: PENDING with a 1-s poll hint and no promise that the instance is up by then.
    const hinting: ProviderDriver = {
      ...aws,
      create: async (request) => {
        const { settlesAtKnown: _known, ...instance } = await aws.create(request);
        return { ...instance, state: 'PENDING', settlesAt: new Date(Date.now() + 1_000) };
      },
    };
    const operation = await requestCreate(services, 'default', input(), null);
    let versionsDuringWait: { status: string; progress: number }[] = [];
    const watching: ProviderDriver = { ...hinting, get: async (providerId) => ((versionsDuringWait = await operationVersions(operation.id)), aws.get(providerId)) };
    await executeUnderLeases(operation.id, withAws(watching), { above: 0, withinMs: 5_000 });
    expect(versionsDuringWait.map((row) => row.progress)).toEqual([0, 25, 50]);
  });

  it('writes the provision end at once (the instance recorded while it boots) at or below the threshold', async () => {
    const { polls, versionsAtFirstPoll, versions, vmEvents } = await runSlowCreate({ above: 1, withinMs: 5_000 });
    expect(versionsAtFirstPoll.map((row) => row.progress)).toEqual([0, 25, 50]);
    // The usual polling: the first poll after 2 s finds the instance still booting.
    expect(polls).toBe(2);
    expect(versions.map((row) => [row.status, row.progress])).toEqual([
      ['QUEUED', 0],
      ['RUNNING', 25],
      ['RUNNING', 50],
      ['SUCCEEDED', 100],
    ]);
    expect(vmEvents.map((event) => event.status)).toEqual(['PENDING', 'PROVISIONING', 'PROVISIONING', 'RUNNING']);
    expect(vmEvents[2]?.provider_id).not.toBeNull();
  });
});

describe('a create is validated before its claim', () => {
  it('claims a create with its validation done and its provision started, carrying the pending-create marker, in one version', async () => {
    const operation = await requestCreate(services, 'default', input(), null);
    await executeOperation(workerContext(), operation.id);
    const [claim] = await operationVersions(operation.id).then((versions) => versions.slice(1));
    expect(claim?.status).toBe('RUNNING');
    expect(claim?.steps.map((step) => [step.name, step.status])).toEqual([
      ['validate', 'SUCCEEDED'],
      ['provision', 'RUNNING'],
      ['wait-running', 'PENDING'],
      ['finalize', 'PENDING'],
    ]);
    expect(claim?.steps[1]?.message).toBe(`create requested at the provider with client token ${operation.id}`);
    // The VM moved to PROVISIONING in the claim's transaction, before anything was asked of the provider.
    const [provisioning] = await sql<{ txid: string }[]>`select txid::text from vms.vm_events where vm_id = ${operation.vmId} and payload->>'status' = 'PROVISIONING' order by seq limit 1`;
    const [claimEvent] = await sql<{ txid: string }[]>`select txid::text from vms.operation_events where operation_id = ${operation.id} and operation_version = 2`;
    expect(provisioning?.txid).toBe(claimEvent?.txid);
  });

  it('fails a create whose validation fails, recording the reason on the validate step', async () => {
    const operation = await requestCreate(services, 'default', input(), null);
    await sql`update vms.vms set instance_type = 'no-such-type' where id = ${operation.vmId}`;
    await executeOperation(workerContext(), operation.id);
    const [row] = await sql<{ status: string; error_provider_code: string | null; steps: StoredStep[] }[]>`select status, error_provider_code, steps from vms.operations where id = ${operation.id}`;
    expect(row?.status).toBe('FAILED');
    expect(row?.error_provider_code).toBe('InvalidParameterValue');
    expect(row?.steps[0]).toMatchObject({ name: 'validate', status: 'FAILED' });
    expect(row?.steps[0]?.message).toContain('no-such-type');
    const instances = await sql`select 1 from simcloud.instances where client_token = ${operation.id}`;
    expect(instances).toHaveLength(0);
  });

  it('returns the VM as the claim left it (status, version, update time) without reading it back', async () => {
    const operation = await requestCreate(services, 'default', input(), null);
    const read = await readOperationForClaim(db, operation.id);
    const now = new Date().toISOString();
    const steps = read!.operation.steps.map((step, position) => (position === 0 ? { ...step, status: 'SUCCEEDED' as const, startedAt: now, finishedAt: now } : step));
    const claimed = await claimAfterLocalStep(db, { ...read!, vm: read!.vm! }, 'claimer', 30, { steps, progress: 25, vmChange: { change: { status: 'PROVISIONING' }, event: 'STATE_CHANGED' } });
    const stored = await readOperationForClaim(db, operation.id);
    expect(claimed?.vm).toEqual(stored?.vm);
    expect(claimed?.vm?.status).toBe('PROVISIONING');
    expect(claimed?.vm?.version).toBe(read!.vm!.version + 1);
  });

  it('writes nothing when the VM changed between the read and the claim', async () => {
    const operation = await requestCreate(services, 'default', input(), null);
    const read = await readOperationForClaim(db, operation.id);
    expect(read?.vm).not.toBeNull();
    await sql`update vms.vms set version = version + 1 where id = ${operation.vmId}`;
    const now = new Date().toISOString();
    const steps = read!.operation.steps.map((step, position) => (position === 0 ? { ...step, status: 'SUCCEEDED' as const, startedAt: now, finishedAt: now } : step));
    const claimed = await claimAfterLocalStep(db, { ...read!, vm: read!.vm! }, 'racing', 30, { steps, progress: 25, vmChange: { change: { status: 'PROVISIONING' }, event: 'STATE_CHANGED' } });
    expect(claimed).toBeNull();
    const [row] = await sql<{ status: string; version: number }[]>`select status, version from vms.operations where id = ${operation.id}`;
    expect(row).toEqual({ status: 'QUEUED', version: read!.operation.version });
    const [vm] = await sql<{ status: string }[]>`select status from vms.vms where id = ${operation.vmId}`;
    expect(vm?.status).toBe('PENDING');
    // A worker then claims it as usual and runs it to the end.
    await executeOperation(workerContext(), operation.id);
    const [done] = await sql<{ status: string }[]>`select status from vms.operations where id = ${operation.id}`;
    expect(done?.status).toBe('SUCCEEDED');
  });

  it('claims as usual, without validating first, a create whose cancellation is pending', async () => {
    const operation = await requestCreate(services, 'default', input(), null);
    await sql`update vms.operations set cancel_requested = true where id = ${operation.id}`;
    await executeOperation(workerContext(), operation.id);
    const [row] = await sql<{ status: string; steps: StoredStep[] }[]>`select status, steps from vms.operations where id = ${operation.id}`;
    expect(row?.status).toBe('CANCELLED');
    expect(row?.steps[0]?.status).toBe('SKIPPED');
    const instances = await sql`select 1 from simcloud.instances where client_token = ${operation.id}`;
    expect(instances).toHaveLength(0);
  });
});

describe('a first provision attempt does not look for an instance', () => {
  it('creates without asking the provider for the client token when the claim was the operation\'s first', async () => {
    const aws = services.providers.get('aws')!;
    let lookups = 0;
    const counting: ProviderDriver = { ...aws, findByClientToken: async (token, options) => ((lookups += 1), aws.findByClientToken(token, options)) };
    const operation = await requestCreate(services, 'default', input(), null);
    await executeOperation(workerContext({ providers: withAws(counting) }), operation.id);
    expect(lookups).toBe(0);
    const [row] = await sql<{ status: string; steps: StoredStep[] }[]>`select status, steps from vms.operations where id = ${operation.id}`;
    expect(row?.status).toBe('SUCCEEDED');
    expect(row?.steps[1]?.message).toMatch(/^created /);
  });

  it('looks for the instance when the create is retried after a lost response, and adopts the one it made', async () => {
    const region = 'eu-west-1';
    await injectFault(sql, { provider: 'aws', action: 'create', kind: 'lost_response', count: 1, region });
    const operation = await requestCreate(services, 'default', { ...input(), region }, null);
    await executeOperation(workerContext(), operation.id);
    const [row] = await sql<{ status: string; steps: StoredStep[] }[]>`select status, steps from vms.operations where id = ${operation.id}`;
    expect(row?.status).toBe('SUCCEEDED');
    expect(row?.steps[1]?.message).toMatch(/^adopted existing instance /);
    const instances = await sql`select 1 from simcloud.instances where client_token = ${operation.id}`;
    expect(instances).toHaveLength(1);
  });

  it('looks for the instance on a re-drive that resumes the provision step', async () => {
    const aws = services.providers.get('aws')!;
    let lookups = 0;
    const counting: ProviderDriver = { ...aws, findByClientToken: async (token, options) => ((lookups += 1), aws.findByClientToken(token, options)) };
    const operation = await requestCreate(services, 'default', input(), null);
    // A first worker claimed it, started provisioning and died; its lease has expired.
    const read = await readOperationForClaim(db, operation.id);
    const now = new Date().toISOString();
    const steps = read!.operation.steps.map((step, position) =>
      position === 0 ? { ...step, status: 'SUCCEEDED' as const, startedAt: now, finishedAt: now } : position === 1 ? { ...step, status: 'RUNNING' as const, startedAt: now } : step,
    );
    await claimAfterLocalStep(db, { ...read!, vm: read!.vm! }, 'died', 30, { steps, progress: 25, vmChange: { change: { status: 'PROVISIONING' }, event: 'STATE_CHANGED' } });
    await sql`update vms.operations set lease_expires_at = now() - interval '1 second' where id = ${operation.id}`;
    await executeOperation(workerContext({ providers: withAws(counting) }), operation.id);
    expect(lookups).toBe(1);
    const [row] = await sql<{ status: string }[]>`select status from vms.operations where id = ${operation.id}`;
    expect(row?.status).toBe('SUCCEEDED');
  });
});

describe('statements per executed create', () => {
  it('runs a create in three statements of its own (read, claim, the success), besides the provider\'s', async () => {
    const statements: string[] = [];
    // The worker's pool, counting what it sends; the simulated cloud keeps its own pool.
    const counted = new Proxy(sql, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property !== 'unsafe' || typeof value !== 'function') return value;
        return (query: string, ...rest: unknown[]) => {
          statements.push(query.trim().split(/\s+/).slice(0, 4).join(' '));
          return (value as (...args: unknown[]) => unknown).call(target, query, ...rest);
        };
      },
    });
    const operation = await requestCreate(services, 'default', input(), null);
    await executeOperation(workerContext({ db: createDatabase(counted) }), operation.id);
    const [row] = await sql<{ status: string }[]>`select status from vms.operations where id = ${operation.id}`;
    expect(row?.status).toBe('SUCCEEDED');
    expect(statements).toHaveLength(3);
    expect(statements[0]).toMatch(/^select o\.\*/);
    // No lease read before the create call: the claim just before it is the proof.
    expect(statements.filter((statement) => statement.startsWith('select 1 from vms.operations'))).toEqual([]);
  });
});
