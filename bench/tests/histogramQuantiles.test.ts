import { describe, expect, it } from 'vitest';
import { bucketDelta, histogramQuantile, type CumulativeBuckets } from '../src/histogramQuantiles.ts';

describe('histogram quantiles', () => {
  it('interpolates a quantile inside its bucket, over the observations between two scrapes', () => {
    const before: CumulativeBuckets = [[0.01, 5], [0.05, 5], [0.1, 5], [Number.POSITIVE_INFINITY, 5]];
    // 100 new observations: 50 under 10 ms, 40 in (10, 50] ms, 10 in (50, 100] ms.
    const after: CumulativeBuckets = [[0.01, 55], [0.05, 95], [0.1, 105], [Number.POSITIVE_INFINITY, 105]];
    const delta = bucketDelta(before, after);
    expect(delta).toEqual([[0.01, 50], [0.05, 90], [0.1, 100], [Number.POSITIVE_INFINITY, 100]]);
    expect(histogramQuantile(0.5, delta)).toBeCloseTo(0.01);
    expect(histogramQuantile(0.7, delta)).toBeCloseTo(0.03);
    expect(histogramQuantile(0.95, delta)).toBeCloseTo(0.075);
  });

  it('answers the last finite bound above it, and NaN without observations', () => {
    expect(histogramQuantile(0.99, [[0.1, 1], [Number.POSITIVE_INFINITY, 10]])).toBe(0.1);
    expect(histogramQuantile(0.5, [[0.1, 0], [Number.POSITIVE_INFINITY, 0]])).toBeNaN();
  });
});
