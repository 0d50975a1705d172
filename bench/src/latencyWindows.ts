import { summarizeLatencies } from './summarizeLatencies.ts';

/** The latencies of the requests due (or sent) within one window of a phase. */
export interface LatencyWindow {
  /** Where the window starts, in seconds from the phase's start. */
  fromSeconds: number;
  count: number;
  p50: number;
  p95: number;
  max: number;
}

/**
 * Splits a phase's latencies into windows of `windowSeconds` by when each request was due (open
 * loop) or sent: whether a phase's p95 is spread over it or made by a few bad seconds (a collection,
 * an autovacuum, a burst of background work). `offsetsMs[i]` is request i's due time from the phase's
 * start, `latenciesMs[i]` its latency. Empty windows are left out.
 */
export function latencyWindows(offsetsMs: readonly number[], latenciesMs: readonly number[], windowSeconds: number): LatencyWindow[] {
  if (offsetsMs.length !== latenciesMs.length) throw new RangeError(`${offsetsMs.length} offsets for ${latenciesMs.length} latencies`);
  if (!(windowSeconds > 0)) throw new RangeError(`windowSeconds must be positive, got ${windowSeconds}`);
  const byWindow = new Map<number, number[]>();
  offsetsMs.forEach((offset, index) => {
    const window = Math.max(0, Math.floor(offset / 1000 / windowSeconds));
    let bucket = byWindow.get(window);
    if (!bucket) byWindow.set(window, (bucket = []));
    bucket.push(latenciesMs[index]!);
  });
  return [...byWindow.entries()]
    .sort(([a], [b]) => a - b)
    .map(([window, latencies]) => {
      const { count, p50, p95, max } = summarizeLatencies(latencies);
      return { fromSeconds: window * windowSeconds, count, p50, p95, max };
    });
}
