import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { maxTimerDelayMs, setLongTimeout } from '../src/subscriptions/setLongTimeout.ts';

const day = 24 * 3_600_000;

describe('setLongTimeout', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires a 30-day timer after 30 days, not at once (setTimeout overflows past 24.8 days)', () => {
    const fired = vi.fn();
    setLongTimeout(fired, 30 * day);
    vi.advanceTimersByTime(1_000);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(maxTimerDelayMs);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(30 * day - maxTimerDelayMs - 1_000 - 1);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('fires short and past-due timers as setTimeout would, and never after clear', () => {
    const short = vi.fn();
    const pastDue = vi.fn();
    const cleared = vi.fn();
    setLongTimeout(short, 500);
    setLongTimeout(pastDue, -10);
    setLongTimeout(cleared, 40 * day).clear();
    vi.advanceTimersByTime(0);
    expect(pastDue).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(500);
    expect(short).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(41 * day);
    expect(cleared).not.toHaveBeenCalled();
  });
});
