import { isTransientProviderError, type ProviderError } from '@novacron/providers';

/** How transient provider errors are retried. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Runs `action`, retrying transient provider errors with exponential backoff and full jitter, never
 * sooner than the provider's Retry-After (`retryAfterMs`, capped at `maxDelayMs`).
 * `onRetry` hears of each retry before it happens (so the operation's `attempts` stay true).
 * Permanent errors, and the last transient one, are rethrown.
 */
export async function retryTransient<T>(policy: RetryPolicy, action: () => Promise<T>, onRetry: (error: ProviderError, nextAttempt: number) => Promise<void>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await action();
    } catch (error) {
      if (!isTransientProviderError(error) || attempt >= policy.maxAttempts) throw error;
      await onRetry(error, attempt + 1);
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      const floor = Math.min(policy.maxDelayMs, error.retryAfterMs ?? 0);
      await new Promise((resolve) => setTimeout(resolve, Math.max(floor, Math.random() * ceiling)));
    }
  }
}
