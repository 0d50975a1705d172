import { isTransientDatabaseError } from '@novacron/db';
import type { Logger } from '@novacron/server-kit';

/**
 * Keeps an operation worker alive when graphile-worker cannot record a job's end because PostgreSQL
 * is down. graphile-worker 0.17 calls `completeJob(job)` / `failJob(…)` without awaiting them
 * (dist/worker.js) and its own retries cover only a few SQLSTATEs, not a refused or reset connection:
 * during a restart the promise rejects with nobody listening and Node ends the process (seen in chaos
 * R2: `batchFailJobs` → exit 1, and `npm start`'s supervisor stopped the platform). Losing that
 * record is safe: the operation's state lives in `vms.operations`, and the lease sweeper gives an
 * operation whose job stays locked a new job. Any other unhandled rejection still ends the process,
 * as Node would. Returns the function that removes the handler.
 */
export function survivePostgresOutage(logger: Logger): () => void {
  const onUnhandledRejection = (reason: unknown) => {
    if (!isTransientDatabaseError(reason)) throw reason;
    logger.warn({ err: reason }, 'the database went away while a job\'s end was being recorded; the lease sweeper will requeue it if needed');
  };
  process.on('unhandledRejection', onUnhandledRejection);
  return () => process.off('unhandledRejection', onUnhandledRejection);
}
