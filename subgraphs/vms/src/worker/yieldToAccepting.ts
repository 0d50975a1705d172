// Hand-rolled: graphile-worker's concurrency is fixed at start and has no pause, and the gate has to
// open and close on a Postgres notification; a small counter with a wait list is all it needs.
import type { Sql } from '@novacron/db';
import { acceptPressureChannel } from '../domain/signalAcceptPressure.ts';

/** Settings of {@link startYieldingToAccepting}. */
export interface YieldToAcceptingOptions {
  /** While accepting is under pressure, new operations start only while fewer than this many run here. */
  concurrency: number;
  /** How long one pressure notification holds the lower concurrency. */
  holdMs: number;
  /** Called when the worker starts or stops yielding (log lines, metrics). */
  onChange?: (yielding: boolean) => void;
}

/** The worker's side of the accept-pressure signal. */
export interface YieldToAccepting {
  /** Runs `operation` now, or once the worker is not yielding or has room under the lower concurrency. */
  gate<T>(operation: () => Promise<T>): Promise<T>;
  /** Whether the worker is yielding right now, and operations running / waiting at the gate. */
  stats(): { yielding: boolean; running: number; waiting: number };
  /** Stops listening and lets every waiting operation run (the runner drains them on stop). */
  stop(): Promise<void>;
}

/**
 * Makes the worker yield the CPU to accepting (docs/reliability.md, "Overload"): on each NOTIFY on
 * the vms subgraph's accept-pressure channel (signalAcceptPressure.ts) the worker holds new
 * operations at the gate for `holdMs` unless fewer than `concurrency` are running. Operations already
 * running go on (they hold leases and provider calls); held ones keep their graphile-worker job and
 * run when the pressure is over, so nothing is lost or run twice: the backlog is worked off after.
 */
export async function startYieldingToAccepting(sql: Sql, options: YieldToAcceptingOptions): Promise<YieldToAccepting> {
  let yieldingUntil = 0;
  let running = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const waiting: (() => void)[] = [];
  const yielding = () => !stopped && performance.now() < yieldingUntil;
  const release = () => {
    while (waiting.length > 0 && (!yielding() || running < options.concurrency)) {
      running += 1;
      waiting.shift()!();
    }
  };
  const expire = () => {
    timer = undefined;
    if (yielding()) {
      timer = setTimeout(expire, yieldingUntil - performance.now());
      return;
    }
    options.onChange?.(false);
    release();
  };
  const listening = await sql.listen(acceptPressureChannel, () => {
    const was = yielding();
    yieldingUntil = performance.now() + options.holdMs;
    if (!was) options.onChange?.(true);
    timer ??= setTimeout(expire, options.holdMs);
  });
  return {
    async gate(operation) {
      if (waiting.length > 0 || (yielding() && running >= options.concurrency)) await new Promise<void>((resolve) => waiting.push(resolve));
      else running += 1;
      try {
        return await operation();
      } finally {
        running -= 1;
        release();
      }
    },
    stats: () => ({ yielding: yielding(), running, waiting: waiting.length }),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      release();
      await listening.unlisten();
    },
  };
}
