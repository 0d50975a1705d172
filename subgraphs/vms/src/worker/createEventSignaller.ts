import { postgresEventChannel } from '@novacron/events';
import type { Sql } from '@novacron/db';
import type { Logger } from '@novacron/server-kit';
import { vmsOutbox } from '../domain/eventStreams.ts';

/**
 * The setting the worker's pool connections start with: the vms event triggers then leave the
 * NOTIFY to the worker (migration 0006), which signals through {@link createEventSignaller}.
 */
export const deferredEventSignals = Object.freeze({ 'novacron.event_signals': 'deferred' });

/** The streams a worker's writes add events to: those of the vms outbox (`vms.vm`, `vms.operation`), named as its feed names them. */
const streamNames = [...vmsOutbox.streams.keys()].map((key) => `${vmsOutbox.schema}.${key}`);

/** Signals the vms streams after the worker's writes, at most once per interval. */
export interface EventSignaller {
  /** Tells readers, now or at the end of the current interval, that writes have committed. */
  written(): void;
  /** Sends a signal still owed, then stops. */
  stop(): Promise<void>;
}

/**
 * Signals the vms event streams for a pool whose connections defer the triggers' NOTIFY
 * ({@link deferredEventSignals}). The first write after a quiet interval is signalled at once;
 * writes within `intervalMs` of a signal share one at the end of that interval. So readers hear of
 * every committed event at most `intervalMs` later, and the worker commits at most one notifying
 * transaction per interval instead of one per write: with a trigger NOTIFY on each of a create's
 * three writes, every listening backend was woken about 1,200 times a second at 300 creates/s, and
 * the commits queued on the lock Postgres holds while it queues a notification (docs/benchmarks.md,
 * issue 14, "Worker signals"). Call {@link EventSignaller.written} after a write commits, never before.
 * A signal that fails is dropped: readers also poll, and the next write signals again.
 */
export function createEventSignaller(sql: Sql, options: { intervalMs: number; logger: Logger }): EventSignaller {
  let lastSentAt = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | null = null;
  let sending: Promise<void> = Promise.resolve();
  let stopped = false;
  const send = () => {
    timer = null;
    lastSentAt = performance.now();
    sending = sql`select pg_notify(${postgresEventChannel}, stream) from unnest(${streamNames}::text[]) as stream`.then(
      () => undefined,
      (error: unknown) => options.logger.debug({ err: error }, 'could not signal the event streams; readers will poll'),
    );
  };
  return {
    written() {
      if (stopped || timer) return;
      const wait = lastSentAt + options.intervalMs - performance.now();
      if (wait <= 0) send();
      else timer = setTimeout(send, wait);
    },
    async stop() {
      stopped = true;
      if (timer) {
        clearTimeout(timer);
        send();
      }
      await sending;
    },
  };
}
