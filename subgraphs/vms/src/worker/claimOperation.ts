import type { Database } from '../db/createDatabase.ts';
import type { OperationRow, VmRow } from '../db/rows.ts';
import { toVmRow, type RawVm } from '../db/toVmRow.ts';
import type { EncryptedCredentials } from '@novacron/secrets';
import { toOperationRow, type RawOperation } from '../db/toOperationRow.ts';

import { isoTimestamp } from '../db/vmEventPayloadSql.ts';

/** The position (1-based) of the first step a run has still to do; a FAILED step in a running operation is a superseded attempt. */
const firstUnfinished = (steps: string) =>
  `(select min(t.position) from jsonb_array_elements(${steps}) with ordinality as t(step, position) where t.step->>'status' not in ('SUCCEEDED', 'SKIPPED', 'FAILED'))`;

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
  status = 'RUNNING',
  started_at = coalesce(started_at, now()),
  attempts = attempts + 1,
  lease_owner = $2,
  lease_epoch = lease_epoch + 1,
  lease_expires_at = now() + make_interval(secs => $3::double precision),
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
select claimed.*, to_jsonb(vm) as vm_row, (
  select jsonb_build_object('keyId', c.key_id, 'nonce', c.nonce, 'ciphertext', c.ciphertext, 'authTag', c.auth_tag)
  from vms.provider_credentials c where c.tenant_id = vm.tenant_id and c.provider = vm.provider) as credentials
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

/** {@link claimOperation}, also returning the operation's VM as it is now (null when the row is missing) and its tenant's stored credentials record for the VM's provider. */
export async function claimOperationAndVm(
  db: Database,
  operationId: string,
  workerId: string,
  leaseSeconds: number,
): Promise<{ operation: OperationRow; vm: VmRow | null; credentials: EncryptedCredentials | null } | null> {
  const [claimed] = await db.$client.unsafe<(RawOperation & { vm_row: RawVm | null; credentials: EncryptedCredentials | null })[]>(claim, [operationId, workerId, leaseSeconds], {
    prepare: true,
  });
  return claimed ? { operation: toOperationRow(claimed), vm: claimed.vm_row ? toVmRow(claimed.vm_row) : null, credentials: claimed.credentials } : null;
}
