/**
 * UTC calendar arithmetic on epoch seconds. Billing periods, report buckets and daily line items are
 * all aligned to UTC midnights and UTC month starts, whatever the server's time zone.
 */

/** Whole seconds since the epoch, truncated (billing is per second). */
export function epochSeconds(date: Date | string): number {
  const ms = typeof date === 'string' ? Date.parse(date) : date.getTime();
  if (Number.isNaN(ms)) throw new RangeError(`invalid date ${String(date)}`);
  return Math.floor(ms / 1000);
}

/** The Date of an epoch-seconds instant. */
export function dateOf(seconds: number): Date {
  return new Date(seconds * 1000);
}

export const secondsPerDay = 86_400;

/** Midnight UTC at or before `seconds`. */
export function startOfUtcDay(seconds: number): number {
  return Math.floor(seconds / secondsPerDay) * secondsPerDay;
}

/** The first second of the UTC month containing `seconds`. */
export function startOfUtcMonth(seconds: number): number {
  const date = dateOf(seconds);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1) / 1000;
}

/** The first second of the UTC month after the one containing `seconds` (December rolls over). */
export function startOfNextUtcMonth(seconds: number): number {
  const date = dateOf(seconds);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) / 1000;
}

/** Bucket steps of reports. */
export type CalendarStep = 'DAY' | 'MONTH';

/** The start of the bucket containing `seconds`. */
export function startOfBucket(seconds: number, step: CalendarStep): number {
  return step === 'DAY' ? startOfUtcDay(seconds) : startOfUtcMonth(seconds);
}

/** The start of the bucket after the one containing `seconds`. */
export function startOfNextBucket(seconds: number, step: CalendarStep): number {
  return step === 'DAY' ? startOfUtcDay(seconds) + secondsPerDay : startOfNextUtcMonth(seconds);
}

/** `[start, end)` cut into consecutive bucket-aligned pieces (the first and last may be partial). */
export function splitIntoBuckets(start: number, end: number, step: CalendarStep): Array<{ start: number; end: number }> {
  const pieces: Array<{ start: number; end: number }> = [];
  for (let cursor = start; cursor < end; ) {
    const next = Math.min(startOfNextBucket(cursor, step), end);
    pieces.push({ start: cursor, end: next });
    cursor = next;
  }
  return pieces;
}
