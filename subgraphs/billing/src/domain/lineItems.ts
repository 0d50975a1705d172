import { billedEnd, type BillableSegment } from './billableSegments.ts';
import { costOf, type Micros } from './money.ts';
import { splitIntoBuckets } from './utcCalendar.ts';

/** One segment's charge within one UTC day: the unit every report, budget and VM cost is summed from. */
export interface LineItem {
  kind: 'COMPUTE' | 'DISK';
  /** Epoch seconds of the UTC midnight starting the day. */
  day: number;
  /** The billed part of the day, epoch seconds `[start, end)`. */
  start: number;
  end: number;
  seconds: number;
  micros: Micros;
  provider: string;
  region: string;
  instanceType: string;
}

/**
 * The line items of `segments` inside `[from, to)`, as of `asOf` (nothing accrues after `asOf`, except
 * the rest of a started 60-second minimum). Each item is rounded to the micro-dollar once; a sum of
 * items is exact.
 */
export function lineItems(segments: readonly BillableSegment[], window: { from: number; to: number }, asOf: number): LineItem[] {
  const items: LineItem[] = [];
  for (const segment of segments) {
    const start = Math.max(segment.start, window.from);
    const end = Math.min(billedEnd(segment, asOf), window.to);
    if (end <= start) continue;
    for (const piece of splitIntoBuckets(start, end, 'DAY')) {
      const seconds = piece.end - piece.start;
      items.push({
        kind: segment.kind,
        day: piece.start - (piece.start % 86_400),
        start: piece.start,
        end: piece.end,
        seconds,
        micros: costOf(segment.rate, seconds),
        provider: segment.provider,
        region: segment.region,
        instanceType: segment.instanceType,
      });
    }
  }
  return items;
}

/**
 * The exact sum of {@link lineItems} of `segments` in `window`, without listing them: whole days all
 * cost the same rounded amount, so each segment is its first partial day + n × a whole day + its last
 * partial day. Budgets and VM costs use it (a month of a thousand VMs is a few thousand operations
 * instead of tens of thousands of items).
 */
export function totalCost(segments: readonly BillableSegment[], window: { from: number; to: number }, asOf: number): Micros {
  let total = 0n;
  for (const segment of segments) {
    const start = Math.max(segment.start, window.from);
    const end = Math.min(billedEnd(segment, asOf), window.to);
    if (end <= start) continue;
    const firstMidnight = Math.ceil(start / 86_400) * 86_400;
    const lastMidnight = Math.floor(end / 86_400) * 86_400;
    if (firstMidnight > lastMidnight) {
      total += costOf(segment.rate, end - start);
      continue;
    }
    if (firstMidnight > start) total += costOf(segment.rate, firstMidnight - start);
    total += costOf(segment.rate, 86_400) * BigInt((lastMidnight - firstMidnight) / 86_400);
    if (end > lastMidnight) total += costOf(segment.rate, end - lastMidnight);
  }
  return total;
}
