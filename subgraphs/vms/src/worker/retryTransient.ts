import { isTransientProviderError } from '@novacron/providers';

/** How transient provider errors are retried. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Runs `action`, retrying transient provider errors with exponential backoff and full jitter.
 * `onAttempt` is told of every attempt (so the operation's `attempts` counter is true). Permanent
 * errors, and the last transient one, are rethrown.
 */
export async function retryTransient<T>(policy: RetryPolicy, action: () => Promise<T>, onAttempt: (attempt: number) => Promise<void>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    await onAttempt(attempt);
    try {
      return await action();
    } catch (error) {
      if (!isTransientProviderError(error) || attempt >= policy.maxAttempts) throw error;
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
    }
  }
}
