import { sql } from 'drizzle-orm';
import type { Database } from '../db/createDatabase.ts';
import { recordVmChange } from '../db/recordVmChange.ts';
import { runOperationTask } from '../domain/enqueueOperation.ts';

/** Options for {@link sweepExpiredLeases}. */
export interface SweepOptions {
  leaseSeconds: number;
  /** After this many re-drives an operation is failed instead of tried again. */
  maxRedrives: number;
  batchSize?: number;
}

/** What one sweep did. */
export interface SweepResult {
  redriven: string[];
  abandoned: string[];
}

/**
 * Re-drives every unfinished operation whose lease lapsed (its worker died or hung, or its job never
 * ran): releases the lease, bumps the epoch so the old holder can no longer write, and enqueues a new
 * job, all in one transaction. Safe to run from every worker at once (`skip locked`).
 */
export async function sweepExpiredLeases(db: Database, options: SweepOptions): Promise<SweepResult> {
  return db.transaction(async (tx) => {
    // A worker that dies between taking a job and claiming its operation leaves the job locked (for
    // hours, in graphile-worker) and the operation QUEUED. A live worker claims within milliseconds
    // of taking the job, so a job locked for a whole lease with its operation still QUEUED belongs to
    // a dead worker: expire the operation's lease now so the sweep below re-drives it.
    await tx.execute(sql`
      update vms.operations o
      set lease_expires_at = now() - interval '1 millisecond'
      from graphile_worker.jobs j
      where j.task_identifier = ${runOperationTask}
        and j.locked_at < now() - make_interval(secs => ${options.leaseSeconds})
        and j.key like 'op:%'
        and o.id = substring(j.key from 4 for 36)::uuid
        and o.status = 'QUEUED'
        and o.lease_expires_at > now()`);
    const rows = await tx.execute<{ id: string; vm_id: string; kind: string; redrive_count: number }>(sql`
      with expired as (
        select id from vms.operations
        where status in ('QUEUED', 'RUNNING') and lease_expires_at < now()
        order by lease_expires_at
        limit ${options.batchSize ?? 200}
        for update skip locked
      )
      update vms.operations o
      set redrive_count = o.redrive_count + 1,
          lease_owner = null,
          lease_epoch = o.lease_epoch + 1,
          lease_expires_at = now() + make_interval(secs => ${options.leaseSeconds}),
          version = o.version + 1,
          updated_at = now()
      from expired
      where o.id = expired.id
      returning o.id, o.vm_id, o.kind, o.redrive_count`);
    const result: SweepResult = { redriven: [], abandoned: [] };
    for (const row of rows) {
      if (row.redrive_count > options.maxRedrives) {
        await tx.execute(sql`
          update vms.operations
          set status = 'FAILED', error_code = 'INTERNAL_SERVER_ERROR',
              error_message = ${`gave up after ${options.maxRedrives} re-drives; see the worker logs`},
              finished_at = now(), lease_owner = null, lease_expires_at = null, version = version + 1, updated_at = now()
          where id = ${row.id}`);
        await recordVmChange(tx, row.vm_id, { status: 'ERROR' }, 'STATE_CHANGED', row.id);
        result.abandoned.push(row.id);
        continue;
      }
      await tx.execute(
        sql`select graphile_worker.add_job(${runOperationTask}, json_build_object('operationId', ${row.id}::text), job_key := ${`op:${row.id}:redrive:${row.redrive_count}`}, max_attempts := 10)`,
      );
      result.redriven.push(row.id);
    }
    return result;
  });
}
