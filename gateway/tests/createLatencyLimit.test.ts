import { describe, expect, it } from 'vitest';
import { createLatencyLimit } from '../src/admission/createLatencyLimit.ts';

// The controller on a test clock: each window is 100 ms long and judged at its tenth sample.
function controller(max = 20) {
  let clock = 0;
  const limit = createLatencyLimit({ targetMs: 50, min: 2, max, windowMs: 100, minSamples: 10, now: () => clock });
  /** Ten requests finishing over one window, each with `latencyMs`, `inside` already in when they came. */
  const window = (latencyMs: number, inside: number) => {
    for (let i = 0; i < 10; i += 1) {
      clock += 10;
      limit.record(latencyMs, inside);
    }
  };
  return { limit, window };
}

describe('createLatencyLimit', () => {
  it('starts at its maximum and cuts the limit to 80 % for every window above the target, down to its floor', () => {
    const { limit, window } = controller(20);
    expect(limit.current).toBe(20);
    window(120, 19);
    expect(limit.current).toBe(16);
    window(120, 15);
    expect(limit.current).toBe(12);
    for (let i = 0; i < 20; i += 1) window(120, 1);
    expect(limit.current).toBe(2);
  });

  it('raises the limit by one per window within the target, only while the limit is what holds requests back', () => {
    const { limit, window } = controller(20);
    for (let i = 0; i < 3; i += 1) window(200, 19);
    expect(limit.current).toBe(9);
    // Fast, but far from the limit: nothing to learn, the limit stays.
    window(10, 1);
    expect(limit.current).toBe(9);
    // Fast and at the limit: one more each window, never past the maximum.
    window(10, 8);
    expect(limit.current).toBe(10);
    for (let i = 0; i < 30; i += 1) window(10, limit.current - 1);
    expect(limit.current).toBe(20);
  });

  it('judges a window by its 90th percentile: one slow request among ten does not cut the limit, two do', () => {
    let clock = 0;
    const judged = createLatencyLimit({ targetMs: 50, min: 2, max: 10, windowMs: 100, minSamples: 10, now: () => clock });
    for (const latency of [5, 5, 5, 5, 5, 5, 5, 5, 5, 500]) {
      clock += 10;
      judged.record(latency, 9);
    }
    expect(judged.current).toBe(10);
    for (const latency of [5, 5, 5, 5, 5, 5, 5, 5, 500, 500]) {
      clock += 10;
      judged.record(latency, 9);
    }
    expect(judged.current).toBe(8);
  });

  it('waits for enough samples before judging a window', () => {
    let clock = 0;
    const limit = createLatencyLimit({ targetMs: 50, min: 2, max: 10, windowMs: 100, minSamples: 10, now: () => clock });
    for (let i = 0; i < 9; i += 1) {
      clock += 1_000;
      limit.record(500, 9);
    }
    expect(limit.current).toBe(10);
    limit.record(500, 9);
    expect(limit.current).toBe(8);
  });
});
