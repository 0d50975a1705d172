import { sql } from 'drizzle-orm';
import type { Database } from '../db/createDatabase.ts';
import { operationJobKey, runOperationTask } from '../domain/enqueueOperation.ts';

/** Options for {@link sweepExpiredLeases}. */
export interface SweepOptions {
  /** A claimed operation's lease length; a job locked this long without a claim belongs to a dead worker. */
  leaseSeconds: number;
  /** How often an operation waiting for a worker has its job checked. */
  queuedLeaseSeconds: number;
  batchSize?: number;
}

/** What one sweep did. */
export interface SweepResult {
  /** Claimed operations whose worker died (lease lapsed): released, counted, given a new job. */
  redriven: string[];
  /** Waiting operations whose job was lost, exhausted or taken by a worker that died before claiming: given a new job, not counted. */
  requeued: string[];
}

/**
 * Makes every waiting operation whose job has been locked for `leaseSeconds` due for the check below
 * (its job belongs to a dead worker). The stale jobs' operation ids are gathered first, once (an init
 * plan), and the operations found among them: written as a join, statistics taken while the queue was
 * short (one waiting operation estimated) led Postgres to scan every job once per waiting operation,
 * 0.9–2.2 s per sweep with 2,500 queued (docs/benchmarks.md, "Plans and statistics").
 */
export function checkJobsLockedSince(leaseSeconds: number) {
  return sql`
    update vms.operations o
    set lease_expires_at = now() - interval '1 millisecond'
    where o.id = any(array(
        select substring(j.key from 4 for 36)::uuid from graphile_worker._private_jobs j
        where j.locked_at < now() - make_interval(secs => ${leaseSeconds}) and j.key like 'op:%'))
      and (o.status = 'QUEUED' or (o.status = 'RUNNING' and o.lease_owner is null))
      and o.lease_expires_at > now()`;
}

/**
 * Keeps every unfinished operation moving, and never fails one: safe to run from every worker at
 * once (`skip locked`).
 *
 * - An operation claimed by a worker (RUNNING with a lease owner) whose lease lapsed lost its worker:
 *   it is released (no owner, epoch bumped so the old holder can no longer write), its re-drive is
 *   counted, and it gets a new job. Giving up after too many re-drives is left to the worker that
 *   claims it next (`executeOperation`), which can still clean up at the provider.
 * - An operation waiting for a worker (QUEUED, or released above) is never counted, however long the
 *   queue: its `lease_expires_at` is only when to check its job next. A live job (present, attempts
 *   left, unlocked or locked for less than a lease) just pushes that time on; otherwise the job is
 *   added again.
 */
export async function sweepExpiredLeases(db: Database, options: SweepOptions): Promise<SweepResult> {
  return db.transaction(async (tx) => {
    const limit = options.batchSize ?? 200;
    const redriven = await tx.execute<{ id: string }>(sql`
      with expired as (
        select id from vms.operations
        where status = 'RUNNING' and lease_owner is not null and lease_expires_at < now()
        order by lease_expires_at
        limit ${limit}
        for update skip locked
      )
      update vms.operations o
      set redrive_count = o.redrive_count + 1,
          lease_owner = null,
          lease_epoch = o.lease_epoch + 1,
          lease_expires_at = now() + make_interval(secs => ${options.queuedLeaseSeconds}),
          version = o.version + 1,
          updated_at = now()
      from expired
      where o.id = expired.id
      returning o.id`);
    // A worker that dies between taking a job and claiming its operation leaves the job locked (for
    // hours, in graphile-worker). A live worker claims within milliseconds of taking a job, so a job
    // locked for a whole lease whose operation still waits belongs to a dead worker: check it now.
    await tx.execute(checkJobsLockedSince(options.leaseSeconds));
    const waiting = await tx.execute<{ id: string; job_alive: boolean }>(sql`
      with due as (
        select id from vms.operations
        where (status = 'QUEUED' or (status = 'RUNNING' and lease_owner is null)) and lease_expires_at < now()
        order by lease_expires_at
        limit ${limit}
        for update skip locked
      )
      update vms.operations o
      set lease_expires_at = now() + make_interval(secs => ${options.queuedLeaseSeconds})
      from due
      where o.id = due.id
      returning o.id, exists (
        select 1 from graphile_worker._private_jobs j
        where j.key = 'op:' || o.id::text
          and j.attempts < j.max_attempts
          and (j.locked_at is null or j.locked_at > now() - make_interval(secs => ${options.leaseSeconds}))
      ) as job_alive`);
    const requeued = waiting.filter((row) => !row.job_alive).map((row) => row.id);
    for (const id of [...redriven.map((row) => row.id), ...requeued]) {
      // Same key: graphile-worker replaces an unlocked job, and takes the key off a locked one (its
      // dead holder can no longer finish it) before adding the new job.
      await tx.execute(sql`select graphile_worker.add_job(${runOperationTask}, json_build_object('operationId', ${id}::text), job_key := ${operationJobKey(id)}, max_attempts := 10)`);
    }
    return { redriven: redriven.map((row) => row.id), requeued };
  });
}
