import { describe, expect, it } from 'vitest';
import { createMemoryRateLimiter } from '../src/createMemoryRateLimiter.ts';
import { createRateLimiter, rateLimitedError } from '../src/index.ts';

function manualClock(start = 1_700_000_000_000) {
  let time = start;
  return { now: () => time, advance: (ms: number) => void (time += ms) };
}

async function consumeTimes(limiter: ReturnType<typeof createRateLimiter>, key: string, times: number) {
  const decisions = [];
  for (let i = 0; i < times; i += 1) decisions.push(await limiter.consume(key));
  return decisions;
}

describe('createRateLimiter in memory', () => {
  it('keeps counters in the process when no Redis URL is given', async () => {
    await using limiter = createRateLimiter({ points: 1, windowSeconds: 1 });
    expect(limiter.kind).toBe('memory');
  });

  it('allows a burst of points requests and refuses the next one with a retry delay', async () => {
    const clock = manualClock();
    await using limiter = createRateLimiter({ points: 5, windowSeconds: 60, now: clock.now });
    const decisions = await consumeTimes(limiter, 'client-a', 6);
    expect(decisions.slice(0, 5).map((decision) => decision.allowed)).toEqual([true, true, true, true, true]);
    expect(decisions.slice(0, 5).map((decision) => decision.remaining)).toEqual([4, 3, 2, 1, 0]);
    expect(decisions[5]).toEqual({ allowed: false, remaining: 0, retryAfterSeconds: 60 });
  });

  it('counts down the retry delay to the end of the window, never below one second', async () => {
    const clock = manualClock();
    await using limiter = createRateLimiter({ points: 1, windowSeconds: 60, now: clock.now });
    await limiter.consume('client-a');
    clock.advance(10_000);
    expect((await limiter.consume('client-a')).retryAfterSeconds).toBe(50);
    clock.advance(49_900);
    expect(await limiter.consume('client-a')).toEqual({ allowed: false, remaining: 0, retryAfterSeconds: 1 });
  });

  it('grants a fresh budget once the window has passed', async () => {
    const clock = manualClock();
    await using limiter = createRateLimiter({ points: 2, windowSeconds: 1, now: clock.now });
    await consumeTimes(limiter, 'client-a', 3);
    clock.advance(999);
    expect((await limiter.consume('client-a')).allowed).toBe(false);
    clock.advance(1);
    expect(await limiter.consume('client-a')).toEqual({ allowed: true, remaining: 1, retryAfterSeconds: 0 });
  });

  it('does not stretch the window for refused requests', async () => {
    const clock = manualClock();
    await using limiter = createRateLimiter({ points: 1, windowSeconds: 10, now: clock.now });
    await limiter.consume('client-a');
    for (let second = 1; second < 10; second += 1) {
      clock.advance(1_000);
      expect((await limiter.consume('client-a')).allowed).toBe(false);
    }
    clock.advance(1_000);
    expect((await limiter.consume('client-a')).allowed).toBe(true);
  });

  it('keeps a separate budget per key', async () => {
    const clock = manualClock();
    await using limiter = createRateLimiter({ points: 1, windowSeconds: 60, now: clock.now });
    expect((await limiter.consume('client-a')).allowed).toBe(true);
    expect((await limiter.consume('client-a')).allowed).toBe(false);
    expect((await limiter.consume('client-b')).allowed).toBe(true);
  });

  it('forgets the windows of keys that stopped calling', async () => {
    const clock = manualClock();
    await using limiter = createMemoryRateLimiter(1, 1_000, clock.now);
    for (let i = 0; i < 1000; i += 1) {
      await limiter.consume(`client-${i}`);
      clock.advance(1);
    }
    expect(limiter.windowCount).toBe(1000);
    clock.advance(500);
    await limiter.consume('client-999');
    // client-i's window ended at i + 1000 ms; at 1500 ms, clients 0…500 are gone.
    expect(limiter.windowCount).toBe(499);
    clock.advance(1_000);
    expect(await limiter.consume('client-0')).toEqual({ allowed: true, remaining: 0, retryAfterSeconds: 0 });
    expect(limiter.windowCount).toBe(1);
  });

  it('refuses nonsensical budgets at construction', () => {
    expect(() => createRateLimiter({ points: 0, windowSeconds: 1 })).toThrow(RangeError);
    expect(() => createRateLimiter({ points: 1.5, windowSeconds: 1 })).toThrow(RangeError);
    expect(() => createRateLimiter({ points: 1, windowSeconds: 0 })).toThrow(RangeError);
  });
});

describe('rateLimitedError', () => {
  it('is a RATE_LIMITED error that tells the client when to retry', () => {
    const error = rateLimitedError(7);
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.message).toBe('too many requests; retry later');
    expect(error.extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: 7 });
  });
});
