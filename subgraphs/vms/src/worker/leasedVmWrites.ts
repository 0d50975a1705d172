import type { Database } from '../db/createDatabase.ts';
import type { VmChange } from '../db/recordVmChange.ts';
import type { VmRow } from '../db/rows.ts';
import type { StoredStep, VmEventType } from '../db/schema.ts';
import { toVmRow, type RawVm } from '../db/toVmRow.ts';
import { vmEventPayloadSql } from '../db/vmEventPayloadSql.ts';

/*
 * Hand-written, prepared statements for the worker's VM changes (a create makes two, then finishes):
 * each was a transaction of five or six round trips built by drizzle (BEGIN, SELECT … FOR UPDATE on
 * the operation, UPDATE vm, INSERT event, [UPDATE operation,] COMMIT), the largest remaining part of
 * an executed create's CPU (docs/benchmarks.md, issue 14). One statement is atomic, so the VM change,
 * its event and the operation write still commit together or not at all, fenced by the lease epoch.
 */

/** The VM columns a change may set, by VmChange key; a key present in `$n::jsonb` sets its column (null included). */
const vmChangeColumns: Record<keyof VmChange, string> = {
  status: 'status',
  providerId: 'provider_id',
  privateIp: 'private_ip',
  publicIp: 'public_ip',
  instanceType: 'instance_type',
  provider: 'provider',
  region: 'region',
};

/** SQL assignments setting each VM column whose key the JSON change `change` (a placeholder) holds. */
export const vmChangeAssignments = (change: string) =>
  Object.entries(vmChangeColumns)
    .map(([key, column]) => `${column} = case when ${change}::jsonb ? '${key}' then ${change}::jsonb->>'${key}' else ${column} end`)
    .join(',\n    ');

const vmChangeAndEvent = (guard: string) => `vm as (
  update vms.vms set
    ${vmChangeAssignments('$4')},
    version = version + 1,
    updated_at = now()
  where id = $3 and exists (select 1 from ${guard})
  returning *
), event as (
  insert into vms.vm_events (tenant_id, vm_id, vm_version, type, operation_id, payload)
  select vm.tenant_id, vm.id, vm.version, $5, $1, ${vmEventPayloadSql('vm')} from vm
)`;

/** A VM change under the lease: locks the operation row (as `guarded` did) and writes only while the lease holds. */
const changeVmStatement = `
with held as (
  select id from vms.operations where id = $1 and lease_epoch = $2 and status = 'RUNNING' for update
), ${vmChangeAndEvent('held')}
select (select to_jsonb(vm) from vm) as vm from held`;

/**
 * The operation's success with the VM's final change: the operation update (its lease guard) comes
 * first. `$7` true: a cancellation requested meanwhile wins (nothing written), for a success written
 * with the end of the step before `finalize` (see executeOperation's finishStep).
 */
const succeedWithVmChange = `
with op as (
  update vms.operations set
    status = 'SUCCEEDED', progress = 100, steps = $6::jsonb, finished_at = now(),
    lease_owner = null, lease_expires_at = null, version = version + 1, updated_at = now()
  where id = $1 and lease_epoch = $2 and status = 'RUNNING' and not ($7::boolean and cancel_requested)
    and exists (select 1 from vms.vms where id = $3)
  returning version, updated_at
), ${vmChangeAndEvent('op')}
select op.version, op.updated_at, (select vm.version from vm) as vm_version, (select vm.updated_at from vm) as vm_updated_at from op`;

/**
 * A step's end (steps and progress, like the runner's step writes) with the VM change that step
 * made: the provision step records the instance it made with its own success instead of in a
 * statement of its own. `$8` true: a cancellation requested meanwhile wins (nothing written).
 */
const stepWithVmChange = `
with op as (
  update vms.operations set
    steps = $6::jsonb, progress = $7::int, version = version + 1, updated_at = now()
  where id = $1 and lease_epoch = $2 and status = 'RUNNING' and not ($8::boolean and cancel_requested)
    and exists (select 1 from vms.vms where id = $3)
  returning version, updated_at
), ${vmChangeAndEvent('op')}
select op.version, op.updated_at, (select to_jsonb(vm) from vm) as vm_row from op`;

/** Where a leased write applies: the operation, the epoch of its lease, the VM it changes. */
export interface LeasedTarget {
  operationId: string;
  leaseEpoch: number;
  vmId: string;
}

/**
 * Changes the VM and writes its event if the lease is still held. Returns the VM as it now is, or
 * null when the lease is gone (nothing written). Throws when the VM row vanished.
 */
export async function changeVmUnderLease(db: Database, target: LeasedTarget, change: VmChange, type: VmEventType): Promise<VmRow | null> {
  const [row] = await db.$client.unsafe<{ vm: RawVm | null }[]>(changeVmStatement, [target.operationId, target.leaseEpoch, target.vmId, JSON.stringify(change), type], {
    prepare: true,
  });
  if (!row) return null;
  if (!row.vm) throw new Error(`VM ${target.vmId} vanished while recording a change`);
  return toVmRow(row.vm);
}

/**
 * Marks the operation SUCCEEDED with `steps`, releases its lease and records the VM's final change
 * with its event, in one statement. Returns the operation's and the VM's new version and update
 * time (the rest the caller wrote; the run ends here, so the VM row is not read back), or null when
 * nothing was written (the lease is gone, or, with `unlessCancelled`, a cancellation was requested).
 */
export async function succeedUnderLease(
  db: Database,
  target: LeasedTarget,
  steps: StoredStep[],
  change: VmChange,
  type: VmEventType,
  unlessCancelled = false,
): Promise<{ version: number; updatedAt: Date; vmVersion: number; vmUpdatedAt: Date } | null> {
  const [row] = await db.$client.unsafe<{ version: number; updated_at: string; vm_version: number | null; vm_updated_at: string | null }[]>(
    succeedWithVmChange,
    [target.operationId, target.leaseEpoch, target.vmId, JSON.stringify(change), type, JSON.stringify(steps), unlessCancelled],
    { prepare: true },
  );
  if (!row) return null;
  if (row.vm_version === null || row.vm_updated_at === null) throw new Error(`VM ${target.vmId} vanished while recording a change`);
  return { version: row.version, updatedAt: new Date(row.updated_at), vmVersion: row.vm_version, vmUpdatedAt: new Date(row.vm_updated_at) };
}

/**
 * Writes a step's end (`steps`, `progress`) and the VM change the step made, with its event, in one
 * statement under the lease. Returns the operation's new version and update time and the VM as it
 * now is, or null when nothing was written (the lease is gone, or, with `unlessCancelled`, a
 * cancellation was requested).
 */
export async function finishStepUnderLease(
  db: Database,
  target: LeasedTarget,
  write: { steps: StoredStep[]; progress: number; unlessCancelled: boolean },
  change: VmChange,
  type: VmEventType,
): Promise<{ version: number; updatedAt: Date; vm: VmRow } | null> {
  const [row] = await db.$client.unsafe<{ version: number; updated_at: string; vm_row: RawVm | null }[]>(
    stepWithVmChange,
    [target.operationId, target.leaseEpoch, target.vmId, JSON.stringify(change), type, JSON.stringify(write.steps), write.progress, write.unlessCancelled],
    { prepare: true },
  );
  if (!row) return null;
  if (!row.vm_row) throw new Error(`VM ${target.vmId} vanished while recording a change`);
  return { version: row.version, updatedAt: new Date(row.updated_at), vm: toVmRow(row.vm_row) };
}
