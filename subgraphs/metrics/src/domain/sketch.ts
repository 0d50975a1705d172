/**
 * The rollups' mergeable percentile sketch: fixed logarithmic buckets with DDSketch's mapping
 * (relative accuracy α = 1%: bucket k holds (γ^(k-1), γ^k] with γ = (1+α)/(1-α), and reports
 * 2γ^k/(1+γ)). Hand-rolled rather than @datadog/sketches-js because the sketch is built, merged and
 * ranked inside PostgreSQL (INSERT…SELECT rollups, GROUP BY merges), so no sample travels to Node.
 *
 * Error bound: a percentile read from rollups is within ±α (1%) relative error of the exact
 * nearest-rank percentile of the raw samples it summarises (plus float rounding); zero is exact.
 */

/** Relative accuracy of every rollup percentile. */
export const sketchRelativeAccuracy = 0.01;

/** γ = (1+α)/(1-α). */
export const sketchGamma = (1 + sketchRelativeAccuracy) / (1 - sketchRelativeAccuracy);

/** The key zero (and only zero: negative samples are refused at ingest) is counted under. */
export const sketchZeroKey = -2_147_483_648;

/** The bucket key of a sample value, as the SQL expression {@link sketchKeySql} computes it. */
export function sketchKeyOf(value: number): number {
  if (value <= 0) return sketchZeroKey;
  return Math.ceil(Math.log(value) / Math.log(sketchGamma));
}

/** The value a bucket key stands for (within α of every value in the bucket). */
export function sketchValueOf(key: number): number {
  if (key === sketchZeroKey) return 0;
  return (2 * sketchGamma ** key) / (1 + sketchGamma);
}

/** SQL computing the key of the column or expression `value` (the same formula as {@link sketchKeyOf}). */
export function sketchKeySql(value: string): string {
  return `(case when ${value} <= 0 then ${sketchZeroKey} else ceil(ln(${value}) / ${Math.log(sketchGamma)})::int end)`;
}

/** The 1-based nearest rank of quantile q among n values (the rank `percentile_disc` returns). */
export function nearestRank(q: number, n: number): number {
  return Math.max(1, Math.ceil(q * n));
}
