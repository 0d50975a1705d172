/** Settings of {@link createLatencyWindows}. */
export interface LatencyWindowOptions {
  /** How long a measuring window lasts; it is judged when a latency is recorded after it ended. */
  windowMs: number;
  /** A window with fewer latencies is extended rather than judged. */
  minSamples: number;
  /** Clock (tests). */
  now?: () => number;
}

/** Latencies gathered in consecutive windows, each judged by its 90th percentile. */
export interface LatencyWindows {
  /** Records a latency; returns the 90th percentile of the window this record closed, or null when it closed none. */
  record(latencyMs: number): number | null;
}

/**
 * The measuring the overload controls share: the gateway's adaptive admission limit
 * (gateway/src/admission/createLatencyLimit.ts) and the vms subgraph's accept-pressure signal to the
 * workers (subgraphs/vms/src/domain/signalAcceptPressure.ts) each steer by one window's p90 at a time.
 * Hand-rolled: a window of a few hundred numbers sorted once; prom-client's summaries keep sliding
 * quantiles for scrapes and cannot say "this window just ended".
 */
export function createLatencyWindows(options: LatencyWindowOptions): LatencyWindows {
  const now = options.now ?? (() => performance.now());
  let windowStart = now();
  let latencies: number[] = [];
  return {
    record(latencyMs) {
      latencies.push(latencyMs);
      const at = now();
      if (at - windowStart < options.windowMs || latencies.length < options.minSamples) return null;
      latencies.sort((a, b) => a - b);
      const p90 = latencies[Math.min(latencies.length - 1, Math.ceil(latencies.length * 0.9) - 1)]!;
      windowStart = at;
      latencies = [];
      return p90;
    },
  };
}
