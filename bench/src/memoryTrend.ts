import type { MemoryPoint, SoakTrend } from './FanOutResults.ts';

/** Growth below this after warm-up counts as flat in soak mode (a tenth of the 6.5 MB/s once seen). */
export const flatMbPerMinute = 1;

/** Least-squares slope of (second, MB) points, in MB per minute; NaN for fewer than two points. */
export function slopePerMinute(points: [number, number][]): number {
  if (points.length < 2) return NaN;
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / points.length;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / points.length;
  const covariance = points.reduce((sum, [x, y]) => sum + (x - meanX) * (y - meanY), 0);
  const variance = points.reduce((sum, [x]) => sum + (x - meanX) ** 2, 0);
  return (covariance / variance) * 60;
}

/**
 * The Theil–Sen slope of (second, MB) points in MB per minute: the median of the slopes between every
 * pair. One odd point (the collection at which V8 shrinks its heap, after which the RSS climbs back to
 * a plateau) moves a least-squares line through five or six points by tens of MB a minute; it moves
 * the median of the pairwise slopes hardly at all, while a floor that rises steadily still gives its
 * rate. NaN for fewer than two points.
 */
export function medianSlopePerMinute(points: [number, number][]): number {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i += 1) {
    for (let j = i + 1; j < points.length; j += 1) {
      const [x1, y1] = points[i]!;
      const [x2, y2] = points[j]!;
      if (x2 !== x1) slopes.push(((y2 - y1) / (x2 - x1)) * 60);
    }
  }
  if (slopes.length === 0) return NaN;
  slopes.sort((a, b) => a - b);
  const middle = Math.floor(slopes.length / 2);
  return slopes.length % 2 === 1 ? slopes[middle]! : (slopes[middle - 1]! + slopes[middle]!) / 2;
}

/**
 * The samples taken just after a major garbage collection: heap used fell by more than a fifth since
 * the previous sample. Between collections the heap and RSS climb with garbage (a saw-tooth of
 * 200–250 MB at 100 events/s to 10,000 subscribers), so a straight line through every sample
 * depends on where the window ends; what survives each collection is what a leak would raise.
 */
export function afterMajorCollections(timeline: readonly MemoryPoint[]): MemoryPoint[] {
  return timeline.filter((point, index) => index > 0 && point.heapUsedMb < timeline[index - 1]!.heapUsedMb * 0.8);
}

/**
 * Soak mode's verdict on the memory after `fromSecond` (the warm-up is left out): the trend of every
 * sample, the trend of what survives major collections, and the ranges before and after. Flat when
 * the RSS after collections grows less than {@link flatMbPerMinute} by the median of its pairwise
 * slopes (with fewer than three collections after the warm-up, when the trend of every sample does).
 * The least-squares slope of those samples is reported beside it: a 10-minute soak on 2026-12-02 had
 * RSS 331, 442, 443, 444, 444, 444 MB after its collections (V8 shrank its heap at the first, then
 * held the RSS at 444 MB for six minutes), 15.5 MB/min by least squares, 0.65 by the median.
 */
export function memoryTrend(timeline: readonly MemoryPoint[], fromSecond: number): SoakTrend {
  const rest = timeline.filter((point) => point.second >= fromSecond);
  const warmup = timeline.filter((point) => point.second < fromSecond);
  const collected = afterMajorCollections(timeline).filter((point) => point.second >= fromSecond);
  const trend = (points: MemoryPoint[], pick: (point: MemoryPoint) => number) => slopePerMinute(points.map((point) => [point.second, pick(point)]));
  const range = (points: MemoryPoint[], pick: (point: MemoryPoint) => number): [number, number] =>
    points.length ? [Math.min(...points.map(pick)), Math.max(...points.map(pick))] : [NaN, NaN];
  const rssMbPerMinute = trend(rest, (point) => point.rssMb);
  const afterCollections = {
    count: collected.length,
    rssMb: collected.map((point): [number, number] => [point.second, point.rssMb]),
    heapUsedMb: collected.map((point): [number, number] => [point.second, point.heapUsedMb]),
    rssMbPerMinute: trend(collected, (point) => point.rssMb),
    rssMedianMbPerMinute: medianSlopePerMinute(collected.map((point): [number, number] => [point.second, point.rssMb])),
    heapMbPerMinute: trend(collected, (point) => point.heapUsedMb),
  };
  return {
    fromSecond,
    rssMbPerMinute,
    heapMbPerMinute: trend(rest, (point) => point.heapUsedMb),
    externalMbPerMinute: trend(rest, (point) => point.externalMb),
    warmupRssMb: range(warmup, (point) => point.rssMb),
    restRssMb: range(rest, (point) => point.rssMb),
    warmupHeapMb: range(warmup, (point) => point.heapUsedMb),
    restHeapMb: range(rest, (point) => point.heapUsedMb),
    afterCollections,
    flat: (afterCollections.count >= 3 ? afterCollections.rssMedianMbPerMinute : rssMbPerMinute) < flatMbPerMinute,
  };
}
