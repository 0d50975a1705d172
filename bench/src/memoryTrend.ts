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
 * the RSS after collections grows less than {@link flatMbPerMinute} (with fewer than three
 * collections after the warm-up, when the trend of every sample does).
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
    flat: (afterCollections.count >= 3 ? afterCollections.rssMbPerMinute : rssMbPerMinute) < flatMbPerMinute,
  };
}
