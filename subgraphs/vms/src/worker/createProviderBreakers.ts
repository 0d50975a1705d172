import { BrokenCircuitError, ConsecutiveBreaker, circuitBreaker, handleWhen, type CircuitBreakerPolicy } from 'cockatiel';
import { isTransientProviderError, ProviderError, type ProviderDriver } from '@novacron/providers';

/** When a provider's breaker opens and how long it stays open before one call probes it again. */
export interface ProviderBreakerOptions {
  /** Consecutive failing calls (transient provider errors other than no-capacity) that open the breaker. */
  consecutiveFailures: number;
  /** How long an open breaker refuses calls before letting one through (half-open). */
  halfOpenAfterMs: number;
}

/** One circuit breaker per provider, shared by every operation a worker process runs. */
export interface ProviderBreakers {
  /** The driver with each provider API call run through `provider`'s breaker. */
  wrap(driver: ProviderDriver, provider: string): ProviderDriver;
  /** The breaker's state, for logs and tests. */
  state(provider: string): 'closed' | 'open' | 'half-open' | 'isolated';
  /** How often `provider`'s breaker has opened in this process. */
  timesOpened(provider: string): number;
}

/** The driver methods that reach the provider's API (`validate` and `capabilities` are local). */
const providerApiCalls = new Set(['create', 'start', 'stop', 'reboot', 'resize', 'delete', 'get', 'findByClientToken', 'list', 'metrics']);

/**
 * A provider that keeps failing (outage, throttling, timeouts) trips its breaker: calls are refused
 * at once with a transient `CircuitOpen` error whose `retryAfterMs` is the time until the probe, so
 * retryTransient backs the operations off instead of hammering the provider; the first call after
 * that probes it and, when it succeeds, closes the breaker by itself. No-capacity errors do not count:
 * they concern one region or instance type and placement fails over on them.
 */
export function createProviderBreakers(options: ProviderBreakerOptions): ProviderBreakers {
  const breakers = new Map<string, CircuitBreakerPolicy>();
  const openedAt = new Map<string, number>();
  const opened = new Map<string, number>();
  const breakerFor = (provider: string): CircuitBreakerPolicy => {
    let breaker = breakers.get(provider);
    if (!breaker) {
      breaker = circuitBreaker(
        handleWhen((error) => isTransientProviderError(error) && error.code !== 'PROVIDER_CAPACITY'),
        { halfOpenAfter: options.halfOpenAfterMs, breaker: new ConsecutiveBreaker(options.consecutiveFailures) },
      );
      breaker.onBreak(() => {
        openedAt.set(provider, Date.now());
        opened.set(provider, (opened.get(provider) ?? 0) + 1);
      });
      breakers.set(provider, breaker);
    }
    return breaker;
  };
  const refusal = (provider: string, cause: unknown): ProviderError => {
    const waited = Date.now() - (openedAt.get(provider) ?? Date.now());
    return new ProviderError('CircuitOpen', `calls to ${provider} are paused after repeated failures; retrying shortly`, {
      transient: true,
      retryAfterMs: Math.max(100, options.halfOpenAfterMs - waited),
      cause,
    });
  };
  return {
    wrap(driver, provider) {
      const breaker = breakerFor(provider);
      return new Proxy(driver, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver);
          if (typeof value !== 'function' || typeof property !== 'string' || !providerApiCalls.has(property)) return value;
          return async (...args: unknown[]) => {
            try {
              return await breaker.execute(() => (value as (...callArgs: unknown[]) => Promise<unknown>).apply(target, args));
            } catch (error) {
              if (error instanceof BrokenCircuitError) throw refusal(provider, error);
              throw error;
            }
          };
        },
      });
    },
    state(provider) {
      const state = breakerFor(provider).state;
      return (['closed', 'open', 'half-open', 'isolated'] as const)[state] ?? 'closed';
    },
    timesOpened: (provider) => opened.get(provider) ?? 0,
  };
}
