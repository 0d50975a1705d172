import type { Sql } from '@novacron/db';

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
  const windowMs = options.windowMs ?? 250;
  const minSamples = options.minSamples ?? 5;
  let windowStart = performance.now();
  let latencies: number[] = [];
  let signalled = 0;
  return {
    record(latencyMs) {
      latencies.push(latencyMs);
      const now = performance.now();
      if (now - windowStart < windowMs || latencies.length < minSamples) return;
      latencies.sort((a, b) => a - b);
      const p90 = latencies[Math.min(latencies.length - 1, Math.ceil(latencies.length * 0.9) - 1)]!;
      windowStart = now;
      latencies = [];
      if (p90 <= options.targetMs) return;
      signalled += 1;
      sql.notify(acceptPressureChannel, String(Math.round(p90))).catch((error: unknown) => options.onError?.(error));
    },
    get signalled() {
      return signalled;
    },
  };
}
