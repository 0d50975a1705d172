import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProviderError } from '@novacron/providers';
import { retryTransient } from '../src/worker/retryTransient.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('retryTransient', () => {
  it('waits at least the provider’s Retry-After before retrying a throttled call', async () => {
    vi.useFakeTimers();
    let calls = 0;
    const action = async () => {
      calls += 1;
      if (calls === 1) throw new ProviderError('RequestLimitExceeded', 'slow down', { transient: true, retryAfterMs: 1_000 });
      return 'done';
    };
    const result = retryTransient({ maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5_000 }, action, async () => {});
    await vi.advanceTimersByTimeAsync(999);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await result).toBe('done');
    expect(calls).toBe(2);
  });

  it('caps the wait at the policy’s maximum delay', async () => {
    vi.useFakeTimers();
    let calls = 0;
    const action = async () => {
      calls += 1;
      if (calls === 1) throw new ProviderError('TooManyRequests', 'later', { transient: true, retryAfterMs: 3_600_000 });
      return calls;
    };
    const result = retryTransient({ maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 50 }, action, async () => {});
    await vi.advanceTimersByTimeAsync(50);
    expect(await result).toBe(2);
  });
});
