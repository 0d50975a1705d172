import type { Sql } from '@novacron/db';
import { createLatencyWindows } from '@novacron/server-kit';

/** The Postgres channel on which the vms subgraph tells the workers that accepting is slow. */
export const acceptPressureChannel = 'novacron_accept_pressure';

/** Settings of {@link createAcceptPressureSignal}. */
export interface AcceptPressureOptions {
  /** Accepting is under pressure when a window's 90th percentile of mutation latency is above this. */
  targetMs: number;
  /** Length of a measuring window; at most one NOTIFY per window. */
  windowMs?: number;
  /** A window with fewer mutations is extended rather than judged. */
  minSamples?: number;
  /** Called when a NOTIFY fails (logged; the next window tries again). */
  onError?: (error: unknown) => void;
}

/** Records accepted mutations' latency and tells the workers when it is above target. */
export interface AcceptPressureSignal {
  record(latencyMs: number): void;
  /** Windows judged under pressure so far (metrics, tests). */
  readonly signalled: number;
}

/**
 * Accepting was never given priority over executing: on the 2-core bench an accepted createVM
 * waited for a CPU that the workers (and their Postgres backends) were using on earlier creates
 * (accepted p95 157 ms at 2 × the sustainable rate). The subgraph measures what its mutations take
 * and, for every window above the target, NOTIFYs the workers on {@link acceptPressureChannel}; a
 * worker that hears it starts fewer new operations for a while (worker/yieldToAccepting.ts), so the
 * CPU goes to accepting and the backlog is worked off after. Through Postgres because both sides
 * already hold connections to it and a NOTIFY reaches every worker process.
 */
export function createAcceptPressureSignal(sql: Sql, options: AcceptPressureOptions): AcceptPressureSignal {
  const windows = createLatencyWindows({ windowMs: options.windowMs ?? 250, minSamples: options.minSamples ?? 5 });
  let signalled = 0;
  return {
    record(latencyMs) {
      const p90 = windows.record(latencyMs);
      if (p90 === null || p90 <= options.targetMs) return;
      signalled += 1;
      sql.notify(acceptPressureChannel, String(Math.round(p90))).catch((error: unknown) => options.onError?.(error));
    },
    get signalled() {
      return signalled;
    },
  };
}
