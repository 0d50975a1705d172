import { describe, expect, it } from 'vitest';
import { createLatencyWindows } from '../src/createLatencyWindows.ts';

describe('createLatencyWindows', () => {
  it('judges a window by its 90th percentile once it has lasted long enough and holds enough latencies', () => {
    let clock = 0;
    const windows = createLatencyWindows({ windowMs: 100, minSamples: 10, now: () => clock });
    for (const latency of [5, 7, 1]) expect(windows.record(latency)).toBeNull(); // the window has not lasted 100 ms
    clock = 150;
    for (const latency of [2, 3, 4, 6, 8, 9]) expect(windows.record(latency)).toBeNull(); // long enough, fewer than 10: extended
    expect(windows.record(10)).toBe(9); // 1..10: the 9th is the 90th percentile
  });

  it('starts a fresh window after judging one', () => {
    let clock = 0;
    const windows = createLatencyWindows({ windowMs: 100, minSamples: 1, now: () => clock });
    clock = 100;
    expect(windows.record(40)).toBe(40);
    expect(windows.record(500)).toBeNull(); // the new window began at 100
    clock = 200;
    expect(windows.record(20)).toBe(500);
  });
});
