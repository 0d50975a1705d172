import { describe, expect, it } from 'vitest';
import { judgeDailySpend } from '../src/domain/costAnomaly.ts';
import { parseUsd } from '../src/domain/money.ts';

const dollars = (values: number[]) => values.map((value) => parseUsd(value));
const baseline = dollars([10, 11, 9, 10, 12, 10, 11, 9, 10, 10, 11, 10, 9, 10]);

describe('daily spend against a 14-day baseline', () => {
  it('flags a day far above the baseline (Σx = 142, Σx² = 1450: mean $10.142857, σ = √(1450/14 − (142/14)²) = $0.832993, mean + 3σ = $12.64)', () => {
    expect(judgeDailySpend(baseline, parseUsd(30))).toMatchObject({ anomalous: true, meanMicros: 10_142_857n });
    expect(judgeDailySpend(baseline, parseUsd(30)).stddevMicros).toBe(832_993n);
  });

  it('does not flag a day within 3σ', () => {
    expect(judgeDailySpend(baseline, parseUsd(12.5)).anomalous).toBe(false);
  });

  it('does not flag a jump smaller than the minimum excess, however many σ it is', () => {
    const tiny = dollars(Array.from({ length: 14 }, () => 0.01));
    expect(judgeDailySpend(tiny, parseUsd(5)).anomalous).toBe(false);
    expect(judgeDailySpend(tiny, parseUsd(10.02)).anomalous).toBe(true);
  });

  it('does not judge a scope with fewer than 7 active baseline days', () => {
    const young = dollars([0, 0, 0, 0, 0, 0, 0, 0, 5, 5, 5, 5, 5, 5]);
    expect(judgeDailySpend(young, parseUsd(500)).anomalous).toBe(false);
  });
});
