import type { Micros } from './money.ts';

/** The anomaly rule: see docs/billing.md § Anomalies. */
export interface AnomalyRule {
  /** Days of trailing baseline. */
  baselineDays: number;
  /** How many standard deviations above the baseline mean a day must be. */
  sigmas: number;
  /** And by at least this much above the mean (so a tiny scope's noise never alerts). */
  minimumExcessMicros: Micros;
  /** Baseline days that must have had any spend (a brand-new scope has no baseline yet). */
  minimumActiveDays: number;
}

export const defaultAnomalyRule: AnomalyRule = { baselineDays: 14, sigmas: 3, minimumExcessMicros: 10_000_000n, minimumActiveDays: 7 };

/** The verdict on one day, with the baseline it was judged against (mean and σ rounded for display). */
export interface AnomalyVerdict {
  anomalous: boolean;
  meanMicros: Micros;
  stddevMicros: Micros;
}

/**
 * Judges a day's spend against its trailing baseline: anomalous when spend > mean + k·σ (population σ)
 * and spend − mean ≥ the minimum excess, given enough active baseline days. The comparison is exact in
 * integers: with n days, S = Σx and Q = Σx², `spend > S/n + k·σ` ⇔ `n·spend − S > 0` and
 * `(n·spend − S)² > k²·(n·Q − S²)`.
 */
export function judgeDailySpend(baseline: readonly Micros[], spend: Micros, rule: AnomalyRule = defaultAnomalyRule): AnomalyVerdict {
  const n = BigInt(baseline.length);
  if (n === 0n) return { anomalous: false, meanMicros: 0n, stddevMicros: 0n };
  let s = 0n;
  let q = 0n;
  for (const x of baseline) {
    s += x;
    q += x * x;
  }
  const nVariance = n * q - s * s; // n²·σ²
  const excess = n * spend - s; // n·(spend − mean)
  const k = BigInt(Math.round(rule.sigmas * 1000));
  const active = baseline.filter((x) => x > 0n).length;
  const anomalous =
    active >= rule.minimumActiveDays && excess > 0n && excess * excess * 1_000_000n > k * k * nVariance && excess >= n * rule.minimumExcessMicros;
  return { anomalous, meanMicros: s / n, stddevMicros: BigInt(Math.round(Math.sqrt(Number(nVariance)) / Number(n))) };
}
