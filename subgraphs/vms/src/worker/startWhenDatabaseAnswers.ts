import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { isTransientDatabaseError } from '@novacron/db';
import type { Logger } from '@novacron/server-kit';

/**
 * Runs `start` (graphile-worker's `run`, which migrates its schema and opens its pool) until the
 * database answers: a worker started while PostgreSQL is down or restarting waits for it, from 200 ms
 * doubling to 5 s between attempts, instead of exiting (seen in chaos R2 when Postgres crashed while a
 * worker was starting, and `npm start`'s supervisor then stopped the whole platform). Any other error,
 * or `signal` aborting, ends it.
 */
export async function startWhenDatabaseAnswers<T>(start: () => Promise<T>, options: { logger: Logger; signal?: AbortSignal; initialDelayMs?: number; maxDelayMs?: number }): Promise<T> {
  const policy = retry(handleWhen(isTransientDatabaseError), {
    backoff: new ExponentialBackoff({ initialDelay: options.initialDelayMs ?? 200, maxDelay: options.maxDelayMs ?? 5_000 }),
  });
  policy.onRetry(({ delay, ...reason }) => options.logger.warn({ err: 'error' in reason ? reason.error : undefined, retryInMs: Math.round(delay) }, 'the database does not answer yet; the worker will start when it does'));
  return policy.execute(() => start(), options.signal);
}
