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

  describe('judged above each operation\'s floor', () => {
    // Ten requests finishing over one window: `latencyMs` each, `inside` already in when they came.
    function clocked(options: { floorSamples?: number; maxOperations?: number } = {}) {
      let clock = 0;
      const limit = createLatencyLimit({ targetMs: 50, min: 2, max: 20, windowMs: 100, minSamples: 10, now: () => clock, ...options });
      const window = (latencyMs: number, inside: number, operation?: string) => {
        for (let i = 0; i < 10; i += 1) {
          clock += 10;
          limit.record(latencyMs, inside, operation);
        }
      };
      return { limit, window };
    }

    it('does not cut the limit for an operation that is slow by nature, which its whole latency did', () => {
      const { limit, window } = clocked();
      // Seen alone (nothing else inside when it came): 300 ms is what the operation takes.
      window(300, 0, 'dashboard');
      window(310, 5, 'dashboard');
      expect(limit.current).toBe(20);
      expect(limit.operations).toBe(1);
      // The same latencies without the operation: judged whole, as before.
      window(310, 5);
      expect(limit.current).toBe(16);
    });

    it('still cuts when requests take longer than their floor by more than the target', () => {
      const { limit, window } = clocked();
      window(300, 0, 'dashboard');
      window(400, 5, 'dashboard');
      expect(limit.current).toBe(16);
    });

    it('judges an operation never seen quiet by its whole latency', () => {
      const { limit, window } = clocked();
      window(300, 0, 'dashboard');
      window(300, 5, 'report');
      expect(limit.current).toBe(16);
    });

    it('takes the least of the last quiet latencies, so it follows an operation that became slower for good', () => {
      const { limit, window } = clocked({ floorSamples: 10 });
      window(100, 1, 'list');
      // While 100-ms answers are among the last ten, 500 ms reads as 400 ms of waiting: one cut.
      window(500, 1, 'list');
      expect(limit.current).toBe(16);
      // Ten quiet 500-ms answers later the floor is 500 ms, and 520 ms is 20 ms above it.
      window(500, 1, 'list');
      window(520, 6, 'list');
      window(520, 6, 'list');
      expect(limit.current).toBe(16);
    });

    it('keeps floors for at most maxOperations operations, the rest sharing one', () => {
      const { limit, window } = clocked({ maxOperations: 2 });
      for (const operation of ['a', 'b', 'c', 'd']) window(10, 0, operation);
      expect(limit.operations).toBe(3);
    });
  });
});

