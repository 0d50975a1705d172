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
  /** A request that arrived with at most this many others inside is a quiet one: its latency is its operation's own (default 1). */
  quietInside?: number;
  /** Quiet latencies kept per operation; the least of them is the operation's floor (default 32). */
  floorSamples?: number;
  /** Operations with a floor of their own; the rest share one (default 256). */
  maxOperations?: number;
  /** Clock (tests). */
  now?: () => number;
}

/** An adaptive limit on the requests inside (served or waiting), steered by their latency. */
export interface LatencyLimit {
  /** The number of requests allowed inside right now. */
  readonly current: number;
  /**
   * Records a finished request: its latency, how many requests were inside when it arrived (the limit
   * grows only when it was what held requests back), and which operation it was (its document's hash;
   * absent when the request never reached the GraphQL pipeline, such as an answer from the response cache).
   */
  record(latencyMs: number, insideAtArrival: number, operation?: string): void;
  /** How many operations have a floor of their own. */
  readonly operations: number;
}

/**
 * Additive increase, multiplicative decrease on latency (TCP's AIMD, as in Netflix's AIMDLimit): a
 * window whose 90th percentile is above the target cuts the limit to 80 %; a window within it that
 * came near the limit raises it by one. On the 2-core bench the latency of an accepted createVM comes
 * from waiting for a CPU the workers executing earlier creates also use, so no fixed number of slots
 * fits: 16 let accepted p95 reach 157 ms at 2 × the sustainable rate; a limit steered by latency
 * admits what the CPU left over can serve, and refuses the rest at once.
 *
 * What is judged is each request's latency above its operation's floor, not its whole latency: a
 * dashboard query that takes 300 ms on an idle gateway is not a sign of overload, and judged by its
 * whole latency it cut the limit to its minimum with nothing else running. The floor is the least
 * latency of the operation's last quiet requests (arrived with at most `quietInside` others inside):
 * the least, so that waiting for a CPU the workers hold is not learned as the operation's own; of the
 * last few, so that an operation that becomes slower for good (more data) is followed. An operation
 * never seen quiet has a floor of 0, and is judged by its whole latency as before.
 */
export function createLatencyLimit(options: LatencyLimitOptions): LatencyLimit {
  const windows = createLatencyWindows({ windowMs: options.windowMs ?? 250, minSamples: options.minSamples ?? 10, ...(options.now ? { now: options.now } : {}) });
  const quietInside = options.quietInside ?? 1;
  const floorSamples = Math.max(1, options.floorSamples ?? 32);
  const maxOperations = Math.max(1, options.maxOperations ?? 256);
  /** Per operation, its last quiet latencies (oldest first). */
  const quiet = new Map<string, number[]>();
  const shared = 'other operations';
  let limit = options.max;
  let peakInside = 0;
  const floorOf = (operation: string | undefined, latencyMs: number, isQuiet: boolean): number => {
    if (operation === undefined) return 0;
    const key = quiet.has(operation) || quiet.size < maxOperations ? operation : shared;
    let latencies = quiet.get(key);
    if (isQuiet) {
      if (!latencies) {
        latencies = [];
        quiet.set(key, latencies);
      }
      latencies.push(latencyMs);
      if (latencies.length > floorSamples) latencies.shift();
    }
    return latencies ? Math.min(...latencies) : 0;
  };
  return {
    get current() {
      return limit;
    },
    get operations() {
      return quiet.size;
    },
    record(latencyMs, insideAtArrival, operation) {
      peakInside = Math.max(peakInside, insideAtArrival + 1);
      const floor = floorOf(operation, latencyMs, insideAtArrival <= quietInside);
      const p90 = windows.record(Math.max(0, latencyMs - floor));
      if (p90 === null) return;
      if (p90 > options.targetMs) limit = Math.max(options.min, Math.floor(limit * 0.8));
      else if (peakInside >= limit * 0.8) limit = Math.min(options.max, limit + 1);
      peakInside = 0;
    },
  };
}
