import { isTransientDatabaseError } from '@novacron/db';
import type { Database } from './createDatabase.ts';
import type { AcceptedOperation } from './rows.ts';
import type { StoredStep } from './schema.ts';
import { vmEventPayloadSql } from './vmEventPayloadSql.ts';

/** What one create writes: the new VM, its operation (with the operation's job) and the VM's CREATED event. */
export interface CreateOperationValues {
  operationId: string;
  vmId: string;
  tenantId: string;
  vm: { name: string; provider: string; region: string; instanceType: string; image: string; labels: Record<string, string> };
  input: Record<string, unknown>;
  inputDigest: string;
  idempotencyKey: string | null;
  steps: StoredStep[];
  queuedLeaseSeconds: number;
  traceContext: string | null;
  /** The graphile-worker task and the job key of the operation's one job. */
  task: string;
  jobKey: string;
  /** The mutation's SUCCEEDED audit record, written with the operation (target: the VM, and the operation). */
  audit?: { actor: string; action: string; inputDigest: string };
}

/*
 * One statement instead of a transaction of five (BEGIN, lock, VM, event, operation, job, COMMIT):
 * accepting a create was ~5 ms of CPU, two thirds of it Postgres round trips (docs/benchmarks.md).
 * A single statement is atomic, so the VM, its CREATED event, the operation (whose insert trigger
 * writes the operation event) and the job commit together or not at all. The operation is inserted
 * first with `on conflict do nothing`: a replayed idempotency key (whose ids are derived from the key)
 * inserts nothing at all, and the VM, event and job, which select from the inserted operation, are
 * skipped with it. Foreign keys are checked at the end of the statement, so the order is allowed.
 * The mutation's audit record rides along too (given an actor), saving a round trip and a commit.
 *
 * The statement takes a batch: `$1` is a JSON array of creates (jsonb_to_recordset), and every create
 * of the batch commits with the others in one transaction, one graphile-worker `add_jobs` and one
 * round trip. Creates that arrive while a batch is in flight wait for it to finish and go
 * together (see {@link insertCreateOperation}): under a burst, per-statement costs (round trip,
 * commit, the plpgsql calls, NOTIFY) are paid once per batch instead of once per create.
 */
const insertCreates = `
with input as (
  select * from jsonb_to_recordset($1::jsonb) as i(
    id uuid, tenant_id text, vm_id uuid, input jsonb, input_digest text, idempotency_key text, steps jsonb, lease_seconds double precision,
    trace_context text, name text, provider text, region text, instance_type text, image text, labels jsonb, job_key text,
    actor text, action text, audit_digest text)
), op as (
  insert into vms.operations (id, tenant_id, kind, status, vm_id, input, input_digest, idempotency_key, steps, lease_expires_at, trace_context)
  select id, tenant_id, 'CREATE', 'QUEUED', vm_id, input, input_digest, idempotency_key, steps, now() + make_interval(secs => lease_seconds), trace_context from input
  on conflict do nothing
  returning *
), vm as (
  insert into vms.vms (id, tenant_id, name, provider, region, instance_type, image, status, labels)
  select op.vm_id, op.tenant_id, i.name, i.provider, i.region, i.instance_type, i.image, 'PENDING', i.labels from op join input i on i.id = op.id
  returning *
), event as (
  insert into vms.vm_events (tenant_id, vm_id, vm_version, type, operation_id, payload)
  select vm.tenant_id, vm.id, vm.version, 'CREATED', null, ${vmEventPayloadSql('vm')}
  from vm
  returning seq
), job as (
  select count(*) as jobs from graphile_worker.add_jobs(array(
    select ($2::text, json_build_object('operationId', op.id::text), null, null, 10, i.job_key, null, null)::graphile_worker.job_spec
    from op join input i on i.id = op.id))
), audit as (
  insert into vms.audit_log (tenant_id, actor, action, target_id, operation_id, outcome, input_digest)
  select op.tenant_id, i.actor, i.action, op.vm_id::text, op.id, 'SUCCEEDED', i.audit_digest from op join input i on i.id = op.id where i.actor is not null
  returning 1
)
-- The data-modifying CTEs run whether or not they are read; \`job\` is a plain select, so it is read here.
select op.id, op.created_at, op.lease_expires_at, (select jobs from job) as jobs from op`;

/**
 * What the statement returns of each create it inserted: the columns Postgres chose (the rest of the
 * operation and its VM are what was sent, see {@link acceptedCreate}). Returning the whole operation and
 * `to_jsonb(vm)` made postgres.js parse two JSON documents and a dozen columns per create that the
 * subgraph already held (postgres.js: 13 % of the subgraph's samples in a burst before, 6 % after).
 */
interface InsertedCreate {
  id: string;
  created_at: string;
  lease_expires_at: string;
}

/** The graphile-worker task of every job a batch adds (the same for all: `add_jobs` takes it once). */
type Task = string;

interface Pending {
  values: CreateOperationValues;
  resolve(row: AcceptedOperation | null): void;
  reject(error: unknown): void;
}

/**
 * How many batches may be in flight at once (of the subgraph's pool of 20), and how large one may grow.
 * One: a create sent while a batch is in flight waits for it (one statement, ≈ 1–2 ms at 300 creates/s)
 * and goes with every other create that arrived meanwhile. With four in flight, batches at 300/s held
 * 1.8 creates on average (2.3 with one), each statement's fixed cost (its commit and NOTIFY,
 * graphile-worker's `add_jobs` planned again) was paid that much more often, and up to four statements
 * competed for the same two vCPUs: the subgraph's Postgres backends used 0.80–0.87 ms per create
 * against 0.57–0.64 with one, and the burst rate did not fall (1,246–1,658/s against 1,248–1,354/s;
 * docs/benchmarks.md, issue 14). Up to 100 creates per statement, one batch at a
 * time still accepts thousands a second. Parallel batches would pay only with Postgres on cores of its
 * own and a queue long enough to fill several batches.
 */
const maxBatchesInFlight = 1;
const maxBatchSize = 100;

/** Counts of the create batches written, for tests and the benchmark's reading of them. */
export interface CreateBatchStats {
  batches: number;
  creates: number;
  /** Batches that failed as a whole and were retried one create at a time. */
  split: number;
}

// Hand-rolled: a batcher that sends at once when nothing is in flight and gathers only while a batch
// is (no timer, so an idle subgraph adds no latency); DataLoader batches per tick instead, which holds
// each create until the tick ends and never limits the batches in flight.
interface Batcher {
  queue: Map<Task, Pending[]>;
  inFlight: number;
  stats: CreateBatchStats;
}

const batchers = new WeakMap<object, Batcher>();

function batcherOf(db: Database): Batcher {
  let batcher = batchers.get(db.$client);
  if (!batcher) {
    batcher = { queue: new Map(), inFlight: 0, stats: { batches: 0, creates: 0, split: 0 } };
    batchers.set(db.$client, batcher);
  }
  return batcher;
}

/** The batches written through this database's pool so far. */
export function createBatchStats(db: Database): CreateBatchStats {
  return { ...batcherOf(db).stats };
}

function toInput(values: CreateOperationValues) {
  return {
    id: values.operationId,
    tenant_id: values.tenantId,
    vm_id: values.vmId,
    input: values.input,
    input_digest: values.inputDigest,
    idempotency_key: values.idempotencyKey,
    steps: values.steps,
    lease_seconds: values.queuedLeaseSeconds,
    trace_context: values.traceContext,
    name: values.vm.name,
    provider: values.vm.provider,
    region: values.vm.region,
    instance_type: values.vm.instanceType,
    image: values.vm.image,
    labels: values.vm.labels,
    job_key: values.jobKey,
    actor: values.audit?.actor ?? null,
    action: values.audit?.action ?? null,
    audit_digest: values.audit?.inputDigest ?? null,
  };
}

/** The inserted rows of a batch by operation id. */
async function writeBatch(db: Database, task: Task, batch: Pending[]): Promise<Map<string, InsertedCreate>> {
  // jsonb parameters go as JSON text: drizzle replaces postgres.js's json serializers with pass-through ones.
  const rows = await db.$client.unsafe<InsertedCreate[]>(insertCreates, [JSON.stringify(batch.map((pending) => toInput(pending.values))), task], { prepare: true });
  return new Map(rows.map((row) => [row.id, row]));
}

/**
 * The operation and its VM exactly as the statement inserted them (tests/enqueueCreate.int.test.ts reads
 * both back and compares): the values sent, the columns' defaults, and the timestamps Postgres chose. The
 * VM's `created_at` is the operation's (one statement, one `now()`); no trigger changes either row
 * before it is stored (theirs run after the insert).
 */
function acceptedCreate(values: CreateOperationValues, inserted: InsertedCreate): AcceptedOperation {
  const createdAt = new Date(inserted.created_at);
  return {
    id: values.operationId,
    tenantId: values.tenantId,
    kind: 'CREATE',
    status: 'QUEUED',
    progress: 0,
    vmId: values.vmId,
    input: values.input,
    inputDigest: values.inputDigest,
    idempotencyKey: values.idempotencyKey,
    steps: values.steps,
    errorCode: null,
    errorMessage: null,
    errorProviderCode: null,
    attempts: 0,
    cancelRequested: false,
    leaseOwner: null,
    leaseEpoch: 0,
    leaseExpiresAt: new Date(inserted.lease_expires_at),
    redriveCount: 0,
    traceContext: values.traceContext,
    version: 1,
    createdAt,
    updatedAt: createdAt,
    startedAt: null,
    finishedAt: null,
    acceptedVm: {
      id: values.vmId,
      tenantId: values.tenantId,
      name: values.vm.name,
      provider: values.vm.provider,
      region: values.vm.region,
      instanceType: values.vm.instanceType,
      image: values.vm.image,
      status: 'PENDING',
      providerId: null,
      privateIp: null,
      publicIp: null,
      labels: values.vm.labels,
      version: 1,
      createdAt,
      updatedAt: createdAt,
    },
  };
}

/** The answer of one create of a written batch: its accepted operation, or null when nothing was inserted (a replay). */
function answer(pending: Pending, rows: Map<string, InsertedCreate>): void {
  const inserted = rows.get(pending.values.operationId);
  pending.resolve(inserted ? acceptedCreate(pending.values, inserted) : null);
}

function pump(db: Database, batcher: Batcher): void {
  while (batcher.inFlight < maxBatchesInFlight && batcher.queue.size > 0) {
    const [task, waiting] = batcher.queue.entries().next().value as [Task, Pending[]];
    const batch = waiting.splice(0, maxBatchSize);
    if (waiting.length === 0) batcher.queue.delete(task);
    batcher.inFlight += 1;
    batcher.stats.batches += 1;
    batcher.stats.creates += batch.length;
    void settle(db, task, batch).finally(() => {
      batcher.inFlight -= 1;
      pump(db, batcher);
    });
  }
}

/**
 * Writes a batch. When Postgres refuses it (a constraint, a bad value: the transaction rolled back),
 * each create is written alone, so each gets its own answer. Connection trouble fails every create
 * of the batch as it would have failed one alone (UNAVAILABLE to the client, who retries with the key):
 * whether that batch committed is unknown, so none is written again here.
 */
async function settle(db: Database, task: Task, batch: Pending[]): Promise<void> {
  try {
    const rows = await writeBatch(db, task, batch);
    for (const pending of batch) answer(pending, rows);
  } catch (error) {
    if (batch.length === 1 || isTransientDatabaseError(error)) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    batcherOf(db).stats.split += 1;
    await Promise.all(
      batch.map(async (pending) => {
        try {
          answer(pending, await writeBatch(db, task, [pending]));
        } catch (alone) {
          pending.reject(alone);
        }
      }),
    );
  }
}

/**
 * Inserts a create operation with its VM, event, job (and audit record) in one round trip (a prepared
 * statement), batched with creates that arrive while a batch is in flight. Returns the
 * operation with the VM as inserted (see AcceptedOperation), or null
 * when nothing was inserted because an operation with the same id or idempotency key exists: the
 * caller looks that one up.
 */
export function insertCreateOperation(db: Database, values: CreateOperationValues): Promise<AcceptedOperation | null> {
  const batcher = batcherOf(db);
  return new Promise((resolve, reject) => {
    const waiting = batcher.queue.get(values.task);
    if (waiting) waiting.push({ values, resolve, reject });
    else batcher.queue.set(values.task, [{ values, resolve, reject }]);
    pump(db, batcher);
  });
}
