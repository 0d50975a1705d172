// Hand-rolled: no maintained npm package implements an adaptive concurrency limit (Netflix's
// concurrency-limits has no JavaScript port), and cockatiel's bulkhead has a fixed capacity.
import { createLatencyWindows } from '@novacron/server-kit';

/** Settings of {@link createLatencyLimit}. */
export interface LatencyLimitOptions {
  /** The latency the limit steers to: the 90th percentile of each window should stay at or below it. */
  targetMs: number;
  /** The limit never goes below this (a request or two always gets in, so latency keeps being measured). */
  min: number;
  /** Nor above this. */
  max: number;
  /** How long a measuring window lasts; a window is judged when a request finishes after it ended. */
  windowMs?: number;
  /** A window with fewer finished requests is extended rather than judged. */
  minSamples?: number;
  /** Clock (tests). */
  now?: () => number;
}

/** An adaptive limit on the requests inside (served or waiting), steered by their latency. */
export interface LatencyLimit {
  /** The number of requests allowed inside right now. */
  readonly current: number;
  /**
   * Records a finished request: its latency, and how many requests were inside when it arrived (the
   * limit grows only when it was what held requests back).
   */
  record(latencyMs: number, insideAtArrival: number): void;
}

/**
 * Additive increase, multiplicative decrease on latency (TCP's AIMD, as in Netflix's AIMDLimit): a
 * window whose 90th percentile is above the target cuts the limit to 80 %; a window within it that
 * came near the limit raises it by one. On the 2-core bench the latency of an accepted createVM comes
 * from waiting for a CPU the workers executing earlier creates also use, so no fixed number of slots
 * fits: 16 let accepted p95 reach 157 ms at 2 × the sustainable rate; a limit steered by latency
 * admits what the CPU left over can serve, and refuses the rest at once.
 */
export function createLatencyLimit(options: LatencyLimitOptions): LatencyLimit {
  const windows = createLatencyWindows({ windowMs: options.windowMs ?? 250, minSamples: options.minSamples ?? 10, ...(options.now ? { now: options.now } : {}) });
  let limit = options.max;
  let peakInside = 0;
  return {
    get current() {
      return limit;
    },
    record(latencyMs, insideAtArrival) {
      peakInside = Math.max(peakInside, insideAtArrival + 1);
      const p90 = windows.record(latencyMs);
      if (p90 === null) return;
      if (p90 > options.targetMs) limit = Math.max(options.min, Math.floor(limit * 0.8));
      else if (peakInside >= limit * 0.8) limit = Math.min(options.max, limit + 1);
      peakInside = 0;
    },
  };
}
