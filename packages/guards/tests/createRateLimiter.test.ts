import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRateLimiter, rateLimitedError } from '../src/index.ts';

async function consumeTimes(limiter: ReturnType<typeof createRateLimiter>, key: string, times: number) {
  const decisions = [];
  for (let i = 0; i < times; i += 1) decisions.push(await limiter.consume(key));
  return decisions;
}

describe('createRateLimiter in memory', () => {
  // rate-limiter-flexible reads Date.now() and drops windows with timers: fake both to move through windows.
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_700_000_000_000, toFake: ['Date', 'setTimeout', 'clearTimeout'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps counters in the process when no Redis URL is given', async () => {
    await using limiter = createRateLimiter({ points: 1, windowSeconds: 1 });
    expect(limiter.kind).toBe('memory');
  });

  it('allows a burst of points requests and refuses the next one with a retry delay', async () => {
    await using limiter = createRateLimiter({ points: 5, windowSeconds: 60 });
    const decisions = await consumeTimes(limiter, 'client-a', 6);
    expect(decisions.slice(0, 5).map((decision) => decision.allowed)).toEqual([true, true, true, true, true]);
    expect(decisions.slice(0, 5).map((decision) => decision.remaining)).toEqual([4, 3, 2, 1, 0]);
    expect(decisions[5]).toEqual({ allowed: false, remaining: 0, retryAfterSeconds: 60 });
  });

  it('counts down the retry delay to the end of the window, never below one second', async () => {
    await using limiter = createRateLimiter({ points: 1, windowSeconds: 60 });
    await limiter.consume('client-a');
    vi.advanceTimersByTime(10_000);
    expect((await limiter.consume('client-a')).retryAfterSeconds).toBe(50);
    vi.advanceTimersByTime(49_900);
    expect(await limiter.consume('client-a')).toEqual({ allowed: false, remaining: 0, retryAfterSeconds: 1 });
  });

  it('grants a fresh budget once the window has passed', async () => {
    await using limiter = createRateLimiter({ points: 2, windowSeconds: 1 });
    await consumeTimes(limiter, 'client-a', 3);
    vi.advanceTimersByTime(999);
    expect((await limiter.consume('client-a')).allowed).toBe(false);
    vi.advanceTimersByTime(1);
    expect(await limiter.consume('client-a')).toEqual({ allowed: true, remaining: 1, retryAfterSeconds: 0 });
  });

  it('does not stretch the window for refused requests', async () => {
    await using limiter = createRateLimiter({ points: 1, windowSeconds: 10 });
    await limiter.consume('client-a');
    for (let second = 1; second < 10; second += 1) {
      vi.advanceTimersByTime(1_000);
      expect((await limiter.consume('client-a')).allowed).toBe(false);
    }
    vi.advanceTimersByTime(1_000);
    expect((await limiter.consume('client-a')).allowed).toBe(true);
  });

  it('keeps a separate budget per key', async () => {
    await using limiter = createRateLimiter({ points: 1, windowSeconds: 60 });
    expect((await limiter.consume('client-a')).allowed).toBe(true);
    expect((await limiter.consume('client-a')).allowed).toBe(false);
    expect((await limiter.consume('client-b')).allowed).toBe(true);
  });

  it('refuses nonsensical budgets at construction', () => {
    expect(() => createRateLimiter({ points: 0, windowSeconds: 1 })).toThrow(RangeError);
    expect(() => createRateLimiter({ points: 1.5, windowSeconds: 1 })).toThrow(RangeError);
    expect(() => createRateLimiter({ points: 1, windowSeconds: 0 })).toThrow(RangeError);
    expect(() => createRateLimiter({ points: 1, windowSeconds: 0.5 })).toThrow(RangeError);
  });
});

describe('rateLimitedError', () => {
  it('is a RATE_LIMITED error that tells the client when to retry', () => {
    const error = rateLimitedError(7);
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.message).toBe('too many requests; retry later');
    expect(error.extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: 7, http: { status: 429, headers: new Map([['retry-after', '7']]) } });
  });
});
