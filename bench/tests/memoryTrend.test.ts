import { describe, expect, it } from 'vitest';
import type { MemoryPoint } from '../src/FanOutResults.ts';
import { afterMajorCollections, medianSlopePerMinute, memoryTrend } from '../src/memoryTrend.ts';

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

  it('calls a plateau after one low collection flat, where a least-squares line rises', () => {
    // The 2026-12-02 soak: V8 shrank its heap at the first collection past the warm-up, then the RSS
    // climbed back once and held at 442–444 MB for six minutes.
    const collections: [number, number][] = [
      [185, 331.3],
      [337, 442.4],
      [376, 442.7],
      [417, 443.5],
      [527, 443.6],
      [566, 444.0],
    ];
    const points: MemoryPoint[] = [{ second: 100, rssMb: 480, heapUsedMb: 250, heapTotalMb: 380, externalMb: 20, oldSpaceMb: 200 }];
    for (const [second, rssMb] of collections) {
      // The heap climbs to 250 MB between collections and falls to 150 MB at each.
      points.push({ second: second - 5, rssMb: 444, heapUsedMb: 250, heapTotalMb: 300, externalMb: 20, oldSpaceMb: 200 });
      points.push({ second, rssMb, heapUsedMb: 150, heapTotalMb: 300, externalMb: 20, oldSpaceMb: 110 });
    }
    const trend = memoryTrend(points, 120);
    expect(trend.afterCollections.rssMb).toEqual(collections);
    expect(trend.afterCollections.rssMbPerMinute).toBeGreaterThan(10);
    expect(trend.afterCollections.rssMedianMbPerMinute).toBeGreaterThan(0);
    expect(trend.afterCollections.rssMedianMbPerMinute).toBeLessThan(1);
    expect(trend.flat).toBe(true);
  });

  it('still calls a floor that rises steadily growing when one collection dips below it', () => {
    const rising: [number, number][] = [120, 210, 300, 390, 480, 570].map((second) => [second, 300 + (2 * second) / 60]);
    rising[2] = [300, 250];
    expect(medianSlopePerMinute(rising)).toBeCloseTo(2, 6);
    const trend = memoryTrend(sawTooth(600, 90, 4, (second) => (second === 270 ? 150 : 250 + (2 * second) / 60)), 120);
    expect(trend.afterCollections.rssMedianMbPerMinute).toBeGreaterThan(1);
    expect(trend.flat).toBe(false);
  });
});
