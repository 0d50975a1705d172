import { describe, expect, it } from 'vitest';
import type { MemoryPoint } from '../src/FanOutResults.ts';
import { afterMajorCollections, memoryTrend } from '../src/memoryTrend.ts';

/** A gateway that climbs by `climbPerSecond` between major collections every `period` s, falling to `floor(second)`. */
function sawTooth(seconds: number, period: number, climbPerSecond: number, floor: (second: number) => number): MemoryPoint[] {
  const points: MemoryPoint[] = [];
  for (let second = 5; second <= seconds; second += 5) {
    const sinceCollection = second % period;
    const heapUsedMb = floor(second) + climbPerSecond * sinceCollection;
    points.push({ second, rssMb: heapUsedMb + 300, heapUsedMb, heapTotalMb: heapUsedMb + 100, externalMb: 20, oldSpaceMb: heapUsedMb - 40 });
  }
  return points;
}

describe('soak memory trend', () => {
  it('finds the samples just after each major collection', () => {
    const points = sawTooth(600, 90, 4, () => 250);
    expect(afterMajorCollections(points).map((point) => point.second)).toEqual([90, 180, 270, 360, 450, 540]);
  });

  it('calls a saw-tooth whose floor stays put flat, wherever the window ends', () => {
    // Ends at the top of a climb: a line through every sample rises, the floors do not.
    const trend = memoryTrend(sawTooth(535, 90, 4, () => 250), 107);
    expect(trend.rssMbPerMinute).toBeGreaterThan(1);
    expect(trend.afterCollections.count).toBe(4);
    expect(trend.afterCollections.rssMbPerMinute).toBeCloseTo(0, 6);
    expect(trend.flat).toBe(true);
  });

  it('calls a saw-tooth whose floor rises 3 MB a minute growing', () => {
    const trend = memoryTrend(sawTooth(600, 90, 4, (second) => 250 + (3 * second) / 60), 120);
    expect(trend.afterCollections.rssMbPerMinute).toBeCloseTo(3, 6);
    expect(trend.afterCollections.heapMbPerMinute).toBeCloseTo(3, 6);
    expect(trend.flat).toBe(false);
  });

  it('falls back to the trend of every sample without enough collections, and reports the warm-up apart', () => {
    const steady = sawTooth(600, 1_000, 0.5, () => 250);
    const trend = memoryTrend(steady, 120);
    expect(trend.afterCollections.count).toBe(0);
    expect(trend.rssMbPerMinute).toBeCloseTo(30, 6);
    expect(trend.flat).toBe(false);
    expect(trend.warmupRssMb).toEqual([552.5, 607.5]);
    expect(trend.restRssMb).toEqual([610, 850]);
  });
});
