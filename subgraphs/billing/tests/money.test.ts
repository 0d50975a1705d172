import { describe, expect, it } from 'vitest';
import { costOf, divideRounded, formatUsd, hourlyRate, parseUsd, sumMicros } from '../src/domain/money.ts';
import { epochSeconds, splitIntoBuckets, startOfNextUtcMonth, startOfUtcMonth } from '../src/domain/utcCalendar.ts';

describe('money', () => {
  it('parses catalog prices into exact micro-dollars', () => {
    expect(parseUsd('0.0104')).toBe(10_400n);
    expect(parseUsd(0.0679)).toBe(67_900n);
    expect(parseUsd(21.957642)).toBe(21_957_642n);
    expect(parseUsd('-12.5')).toBe(-12_500_000n);
  });

  it('refuses amounts it cannot represent exactly instead of rounding them', () => {
    expect(() => parseUsd('0.0000001')).toThrow(RangeError);
    expect(() => parseUsd('1e3')).toThrow(RangeError);
    expect(() => parseUsd(Number.NaN)).toThrow(RangeError);
  });

  it('formats micro-dollars with six fraction digits', () => {
    expect(formatUsd(291_500n)).toBe('0.291500');
    expect(formatUsd(-1_250_000n)).toBe('-1.250000');
    expect(formatUsd(12_000_000_001n)).toBe('12000.000001');
  });

  it('rounds half away from zero, once', () => {
    expect(divideRounded(5n, 2n)).toBe(3n);
    expect(divideRounded(-5n, 2n)).toBe(-3n);
    expect(divideRounded(4n, 3n)).toBe(1n);
    expect(costOf(hourlyRate(96_000n), 60)).toBe(1_600n);
  });

  it('sums a thousand tenths of a cent to exactly one dollar (a binary float sum would not)', () => {
    const amounts = Array.from({ length: 1000 }, () => parseUsd('0.001'));
    expect(sumMicros(amounts)).toBe(1_000_000n);
    expect(Array.from({ length: 1000 }, () => 0.001).reduce((a, b) => a + b, 0)).not.toBe(1);
  });
});

describe('UTC calendar', () => {
  it('finds month boundaries in UTC, rolling December into January', () => {
    const lateDecember = epochSeconds('2026-12-31T23:59:59Z');
    expect(new Date(startOfUtcMonth(lateDecember) * 1000).toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(new Date(startOfNextUtcMonth(lateDecember) * 1000).toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });

  it('splits a range at UTC midnights and month starts', () => {
    const start = epochSeconds('2026-10-31T22:00:00Z');
    const end = epochSeconds('2026-11-02T01:00:00Z');
    expect(splitIntoBuckets(start, end, 'DAY').map((piece) => piece.end - piece.start)).toEqual([7_200, 86_400, 3_600]);
    expect(splitIntoBuckets(start, end, 'MONTH').map((piece) => piece.end - piece.start)).toEqual([7_200, 90_000]);
  });
});
