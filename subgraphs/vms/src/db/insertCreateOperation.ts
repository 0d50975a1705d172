import type { Database } from './createDatabase.ts';
import type { OperationRow } from './rows.ts';
import { toOperationRow, type RawOperation } from './toOperationRow.ts';
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
 * The mutation's audit record rides along too (given an actor), saving a round trip and a commit:
 * after the merge of the rest, that second statement was a third of the subgraph's socket writes.
 */
const insertCreate = `
with op as (
  insert into vms.operations (id, tenant_id, kind, status, vm_id, input, input_digest, idempotency_key, steps, lease_expires_at, trace_context)
  values ($1, $2, 'CREATE', 'QUEUED', $3, $4::jsonb, $5, $6, $7::jsonb, now() + make_interval(secs => $8::double precision), $9)
  on conflict do nothing
  returning *
), vm as (
  insert into vms.vms (id, tenant_id, name, provider, region, instance_type, image, status, labels)
  select op.vm_id, op.tenant_id, $10, $11, $12, $13, $14, 'PENDING', $15::jsonb from op
  returning *
), event as (
  insert into vms.vm_events (tenant_id, vm_id, vm_version, type, operation_id, payload)
  select vm.tenant_id, vm.id, vm.version, 'CREATED', null, ${vmEventPayloadSql('vm')}
  from vm
  returning seq
), job as (
  select graphile_worker.add_job($16, json_build_object('operationId', op.id::text), job_key := $17, max_attempts := 10) from op
), audit as (
  insert into vms.audit_log (tenant_id, actor, action, target_id, operation_id, outcome, input_digest)
  select op.tenant_id, $18, $19, op.vm_id::text, op.id, 'SUCCEEDED', $20 from op where $18::text is not null
  returning 1
)
select op.*, (select count(*) from job) as jobs, (select count(*) from event) as events, (select count(*) from audit) as audits from op`;


/**
 * Inserts a create operation with its VM, event and job in one round trip (a prepared statement).
 * Returns null when nothing was inserted because an operation with the same id or idempotency key
 * exists: the caller looks that one up.
 */
export async function insertCreateOperation(db: Database, values: CreateOperationValues): Promise<OperationRow | null> {
  const client = db.$client;
  // jsonb parameters go as JSON text: drizzle replaces postgres.js's json serializers with pass-through ones.
  const rows = await client.unsafe<RawOperation[]>(
    insertCreate,
    [
      values.operationId,
      values.tenantId,
      values.vmId,
      JSON.stringify(values.input),
      values.inputDigest,
      values.idempotencyKey,
      JSON.stringify(values.steps),
      values.queuedLeaseSeconds,
      values.traceContext,
      values.vm.name,
      values.vm.provider,
      values.vm.region,
      values.vm.instanceType,
      values.vm.image,
      JSON.stringify(values.vm.labels),
      values.task,
      values.jobKey,
      values.audit?.actor ?? null,
      values.audit?.action ?? null,
      values.audit?.inputDigest ?? null,
    ],
    { prepare: true },
  );
  const raw = rows[0];
  return raw ? toOperationRow(raw) : null;
}
