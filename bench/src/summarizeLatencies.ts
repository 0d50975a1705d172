/** Percentiles of a set of latencies, in ms. */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles (a reported p99 is a latency some request really had). */
export function summarizeLatencies(latenciesMs: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(latenciesMs).sort();
  const count = sorted.length;
  if (count === 0) return { count, min: NaN, mean: NaN, p50: NaN, p95: NaN, p99: NaN, max: NaN };
  const rank = (quantile: number) => sorted[Math.min(count - 1, Math.max(0, Math.ceil(quantile * count) - 1))]!;
  let total = 0;
  for (const value of sorted) total += value;
  return { count, min: sorted[0]!, mean: total / count, p50: rank(0.5), p95: rank(0.95), p99: rank(0.99), max: sorted[count - 1]! };
}
