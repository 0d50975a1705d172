import type { Database } from '../db/createDatabase.ts';
import type { OperationRow, VmRow } from '../db/rows.ts';
import type { StoredStep, VmEventType } from '../db/schema.ts';
import { toVmRow, type RawVm } from '../db/toVmRow.ts';
import type { EncryptedCredentials } from '@novacron/secrets';
import { toOperationRow, type RawOperation } from '../db/toOperationRow.ts';

import type { VmChange } from '../db/recordVmChange.ts';
import { isoTimestamp, vmEventPayloadSql } from '../db/vmEventPayloadSql.ts';
import { vmChangeAssignments } from './leasedVmWrites.ts';

/** The position (1-based) of the first step a run has still to do; a FAILED step in a running operation is a superseded attempt. */
const firstUnfinished = (steps: string) =>
  `(select min(t.position) from jsonb_array_elements(${steps}) with ordinality as t(step, position) where t.step->>'status' not in ('SUCCEEDED', 'SKIPPED', 'FAILED'))`;

/** The columns every claim sets: the lease ($2 the worker, `seconds` the lease's length) and the attempt it starts. */
const takeLease = (seconds: string) => `status = 'RUNNING',
  started_at = coalesce(started_at, now()),
  attempts = attempts + 1,
  lease_owner = $2,
  lease_epoch = lease_epoch + 1,
  lease_expires_at = now() + make_interval(secs => ${seconds}::double precision)`;

/** The credentials record of the VM's tenant for the VM's provider, as the claims read it (`vm` the VM row alias). */
const credentialsOf = (vm: string) => `(
  select jsonb_build_object('keyId', c.key_id, 'nonce', c.nonce, 'ciphertext', c.ciphertext, 'authTag', c.auth_tag)
  from vms.provider_credentials c where c.tenant_id = ${vm}.tenant_id and c.provider = ${vm}.provider)`;

/*
 * Hand-written and prepared (postgres.js) rather than built by drizzle per call: in the worker's
 * profile drizzle's query building was 41 % of its CPU (docs/benchmarks.md). The claim also starts
 * the first unfinished step (RUNNING, its first start time kept) unless a cancellation was requested:
 * one operation write and one operation event per create fewer than starting it separately (the
 * runner then goes on with that step without writing its start again), and it reads the VM the
 * operation acts on and the credentials its tenant stored for the VM's provider (two round trips fewer).
 */
const claim = `
with claimed as (
update vms.operations set
  ${takeLease('$3')},
  steps = case when cancel_requested then steps else coalesce((
    select jsonb_agg(case when s.position = ${firstUnfinished('steps')}
      then s.step || jsonb_build_object('status', 'RUNNING', 'startedAt',
        case when jsonb_typeof(s.step->'startedAt') = 'string' then s.step->'startedAt' else to_jsonb(${isoTimestamp('now()')}) end)
      else s.step end order by s.position)
    from jsonb_array_elements(steps) with ordinality as s(step, position)), steps) end,
  version = version + 1,
  updated_at = now()
where id = $1
  and (status = 'QUEUED' or (status = 'RUNNING' and (lease_owner is null or lease_expires_at < now())))
returning *
)
select claimed.*, to_jsonb(vm) as vm_row, ${credentialsOf('vm')} as credentials
from claimed left join vms.vms vm on vm.id = claimed.vm_id`;

/**
 * Takes the lease on an operation: only a queued operation, or a running one whose lease lapsed or was
 * released by the sweeper, can be claimed. Each claim bumps `lease_epoch`, so every later write of an
 * older holder (`where lease_epoch = …`) matches nothing. Every claim is an attempt: the first one and
 * each re-drive after a worker died. Unless a cancellation is pending, the claim has started the first
 * unfinished step. Returns null when there is nothing to do.
 */
export async function claimOperation(db: Database, operationId: string, workerId: string, leaseSeconds: number): Promise<OperationRow | null> {
  return (await claimOperationAndVm(db, operationId, workerId, leaseSeconds))?.operation ?? null;
}

/** What a claim returns: the operation, its VM (null when the row is missing) and its tenant's stored credentials record for the VM's provider. */
export interface Claimed {
  operation: OperationRow;
  vm: VmRow | null;
  credentials: EncryptedCredentials | null;
}

/** A row of {@link claim} or {@link readForClaim}: the operation's columns, its VM as JSON and the credentials record. */
type ClaimRow = RawOperation & { vm_row: RawVm | null; credentials: EncryptedCredentials | null };

const toClaimed = (row: ClaimRow): Claimed => ({ operation: toOperationRow(row), vm: row.vm_row ? toVmRow(row.vm_row) : null, credentials: row.credentials });

/** {@link claimOperation}, also returning the operation's VM as it is now (null when the row is missing) and its tenant's stored credentials record for the VM's provider. */
export async function claimOperationAndVm(db: Database, operationId: string, workerId: string, leaseSeconds: number): Promise<Claimed | null> {
  const [claimed] = await db.$client.unsafe<ClaimRow[]>(claim, [operationId, workerId, leaseSeconds], { prepare: true });
  return claimed ? toClaimed(claimed) : null;
}

/** Prepared: an operation, its VM and its tenant's credentials, read (nothing written) before {@link claimAfterLocalStep}. */
const readForClaim = `
select o.*, to_jsonb(vm) as vm_row, ${credentialsOf('vm')} as credentials
from vms.operations o left join vms.vms vm on vm.id = o.vm_id
where o.id = $1`;

/**
 * Prepared: the first claim of a queued operation whose first step the worker has already done from
 * what it read ($9 the operation's version and $10 the VM's then: anything changed since, and
 * nothing is written). Writes the steps as given (that step SUCCEEDED, the next one started, $7),
 * the progress ($8), and the VM change the next step's start makes ($4 as JSON, event type $5),
 * with its event. $2 the worker, $3 the VM, $6 the lease's length in seconds. Returns only what it
 * set that the caller did not send (the rest is the read row): no second parse of the steps and
 * input, and of the VM only its new version.
 */
const claimStartingStep = `
with claimed as (
update vms.operations set
  ${takeLease('$6')},
  steps = $7::jsonb,
  progress = $8::int,
  version = version + 1,
  updated_at = now()
where id = $1 and status = 'QUEUED' and not cancel_requested and version = $9::int
  and exists (select 1 from vms.vms where id = $3 and version = $10::int)
returning version, updated_at, started_at, attempts, lease_epoch, lease_expires_at
), vm as (
  update vms.vms set
    ${vmChangeAssignments('$4')},
    version = version + 1,
    updated_at = now()
  where id = $3 and $4::jsonb is not null and exists (select 1 from claimed)
  returning *
), event as (
  insert into vms.vm_events (tenant_id, vm_id, vm_version, type, operation_id, payload)
  select vm.tenant_id, vm.id, vm.version, $5, $1, ${vmEventPayloadSql('vm')} from vm
)
select claimed.*, (select vm.version from vm) as vm_version from claimed`;

/** Reads an operation with its VM and credentials record, writing nothing; null when there is no such operation. */
export async function readOperationForClaim(db: Database, operationId: string): Promise<Claimed | null> {
  const [row] = await db.$client.unsafe<ClaimRow[]>(readForClaim, [operationId], { prepare: true });
  return row ? toClaimed(row) : null;
}

/**
 * The first claim of a queued operation whose first step was done from what {@link readOperationForClaim}
 * read (a local check, such as a create's validation), written together with that step's end and
 * the next step's start: one statement, one operation version and one notifying commit instead of
 * a claim and a step write. Writes nothing and returns null when the operation or its VM changed
 * since the read (`read`), was claimed meanwhile, or a cancellation was requested: the caller then
 * claims as usual.
 */
export async function claimAfterLocalStep(
  db: Database,
  read: Claimed & { vm: VmRow },
  workerId: string,
  leaseSeconds: number,
  write: { steps: StoredStep[]; progress: number; vmChange: { change: VmChange; event: VmEventType } | undefined },
): Promise<Claimed | null> {
  const { operation, vm } = read;
  const [claimed] = await db.$client.unsafe<
    (Pick<RawOperation, 'version' | 'updated_at' | 'attempts' | 'lease_epoch'> & { started_at: string; lease_expires_at: string; vm_version: number | null })[]
  >(
    claimStartingStep,
    [
      operation.id,
      workerId,
      vm.id,
      write.vmChange ? JSON.stringify(write.vmChange.change) : null,
      write.vmChange?.event ?? 'STATE_CHANGED',
      leaseSeconds,
      JSON.stringify(write.steps),
      write.progress,
      operation.version,
      vm.version,
    ],
    { prepare: true },
  );
  if (!claimed) return null;
  const updatedAt = new Date(claimed.updated_at);
  return {
    operation: {
      ...operation,
      status: 'RUNNING',
      steps: write.steps,
      progress: write.progress,
      attempts: claimed.attempts,
      leaseOwner: workerId,
      leaseEpoch: claimed.lease_epoch,
      leaseExpiresAt: new Date(claimed.lease_expires_at),
      startedAt: new Date(claimed.started_at),
      version: claimed.version,
      updatedAt,
    },
    // The VM as the statement left it (it matched the version read, and both rows took the statement's now()): not read back.
    vm: write.vmChange && claimed.vm_version !== null ? { ...vm, ...write.vmChange.change, version: claimed.vm_version, updatedAt } : vm,
    credentials: read.credentials,
  };
}
