import type { Database } from '../db/createDatabase.ts';
import type { OperationRow } from '../db/rows.ts';
import { toOperationRow, type RawOperation } from '../db/toOperationRow.ts';

/*
 * Hand-written and prepared (postgres.js) rather than built by drizzle per call: in the worker's
 * profile drizzle's query building was 41 % of its CPU (docs/benchmarks.md).
 */
const claim = `
update vms.operations set
  status = 'RUNNING',
  started_at = coalesce(started_at, now()),
  attempts = attempts + 1,
  lease_owner = $2,
  lease_epoch = lease_epoch + 1,
  lease_expires_at = now() + make_interval(secs => $3::double precision),
  version = version + 1,
  updated_at = now()
where id = $1
  and (status = 'QUEUED' or (status = 'RUNNING' and (lease_owner is null or lease_expires_at < now())))
returning *`;

/**
 * Takes the lease on an operation: only a queued operation, or a running one whose lease lapsed or was
 * released by the sweeper, can be claimed. Each claim bumps `lease_epoch`, so every later write of an
 * older holder (`where lease_epoch = …`) matches nothing. Every claim is an attempt: the first one and
 * each re-drive after a worker died. Returns null when there is nothing to do.
 */
export async function claimOperation(db: Database, operationId: string, workerId: string, leaseSeconds: number): Promise<OperationRow | null> {
  const [claimed] = await db.$client.unsafe<RawOperation[]>(claim, [operationId, workerId, leaseSeconds], { prepare: true });
  return claimed ? toOperationRow(claimed) : null;
}
