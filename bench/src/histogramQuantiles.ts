/** Cumulative Prometheus histogram buckets: `[le, count]` in ascending `le` (the last is `+Inf`). */
export type CumulativeBuckets = [number, number][];

/** The observations between two scrapes of one histogram (after − before, bucket by bucket). */
export function bucketDelta(before: CumulativeBuckets, after: CumulativeBuckets): CumulativeBuckets {
  return after.map(([le, count]) => [le, count - (before.find(([other]) => other === le)?.[1] ?? 0)]);
}

/**
 * A quantile of bucketed observations, interpolated linearly inside its bucket (what PromQL's
 * `histogram_quantile` does); NaN without observations. Above the last finite bound: that bound.
 */
export function histogramQuantile(quantile: number, buckets: CumulativeBuckets): number {
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total <= 0) return Number.NaN;
  const rank = quantile * total;
  let lower = 0;
  let below = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (!Number.isFinite(le)) return lower;
      return lower + (le - lower) * ((rank - below) / Math.max(1, count - below));
    }
    lower = le;
    below = count;
  }
  return lower;
}
