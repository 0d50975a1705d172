import { describe, expect, it } from 'vitest';
import { latencyWindows } from '../src/latencyWindows.ts';

describe('latencyWindows', () => {
  it('groups latencies by when each request was due, not by when it answered', () => {
    // Due at 0.1 s, 4.9 s, 5.0 s and 12 s; the one due at 4.9 s answered at 5.9 s and still counts in the first window.
    const windows = latencyWindows([100, 4_900, 5_000, 12_000], [10, 1_000, 30, 40], 5);
    expect(windows).toEqual([
      { fromSeconds: 0, count: 2, p50: 10, p95: 1_000, max: 1_000 },
      { fromSeconds: 5, count: 1, p50: 30, p95: 30, max: 30 },
      { fromSeconds: 10, count: 1, p50: 40, p95: 40, max: 40 },
    ]);
  });

  it('shows a phase whose p95 is made by one bad window', () => {
    const offsets = Array.from({ length: 300 }, (_, index) => index * 100);
    const latencies = offsets.map((offset) => (offset >= 20_000 && offset < 25_000 ? 400 : 10));
    const windows = latencyWindows(offsets, latencies, 5);
    expect(windows).toHaveLength(6);
    expect(windows.filter((window) => window.p95 > 100).map((window) => window.fromSeconds)).toEqual([20]);
  });

  it('rejects mismatched arrays and a window that is not positive', () => {
    expect(() => latencyWindows([1, 2], [1], 5)).toThrow(RangeError);
    expect(() => latencyWindows([1], [1], 0)).toThrow(RangeError);
  });
});
