import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleAll } from 'cockatiel';
import type { Logger } from '@novacron/server-kit';
import type { SubgraphAnswer, SubgraphFetch } from './createSubgraphFetch.ts';

/** Options for {@link createSubgraphBreaker}. */
export interface SubgraphBreakerOptions {
  name: string;
  /** Consecutive failed fetches (unreachable, timed out, HTTP 5xx, slower than `slowCallMs`) that open the circuit. */
  failures: number;
  /** How long the circuit stays open before one probe fetch is let through (half-open). */
  halfOpenAfterMs: number;
  /** A fetch answered after this long counts as a failure (its answer is still used). */
  slowCallMs: number;
  logger?: Logger;
}

/** What a breaker reports about itself (in the gateway's `stats()`). */
export interface SubgraphBreakerStats {
  state: 'closed' | 'open' | 'half-open' | 'isolated';
  opened: number;
  /** Fetches refused without being sent because the circuit was open. */
  refused: number;
}

/** A circuit breaker in front of one subgraph's fetches. */
export interface SubgraphBreaker {
  /** Wraps a fetch: refused at once with {@link CircuitOpenError} while the circuit is open. */
  wrap(fetcher: SubgraphFetch): SubgraphFetch;
  stats(): SubgraphBreakerStats;
}

/** Thrown instead of fetching while a subgraph's circuit is open (or its half-open probe is in flight). */
export class CircuitOpenError extends Error {
  readonly retryAfterMs: number;
  constructor(name: string, retryAfterMs: number) {
    super(`the circuit of the ${name} service is open`);
    this.name = 'CircuitOpenError';
    this.retryAfterMs = retryAfterMs;
  }
}

const stateNames: Record<CircuitState, SubgraphBreakerStats['state']> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

/** A fetch's response with whether it counts against the circuit. */
interface Timed {
  response: SubgraphAnswer;
  failed: boolean;
}

/**
 * A cockatiel circuit breaker per subgraph: after `failures` consecutive failures the subgraph's
 * fetches fail at once (UNAVAILABLE, reason CIRCUIT_OPEN) instead of each waiting for its deadline,
 * so queries that touch it answer fast with partial data and the others keep their latency. After
 * `halfOpenAfterMs` one fetch probes the subgraph; its success closes the circuit, its failure
 * reopens it. Other fetches arriving during the probe are refused rather than queued behind it
 * (cockatiel would hold them until the probe decides, up to the fetch deadline).
 */
export function createSubgraphBreaker(options: SubgraphBreakerOptions): SubgraphBreaker {
  const policy = circuitBreaker(handleAll.orWhenResult((result) => (result as Timed).failed), {
    halfOpenAfter: options.halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(options.failures),
  });
  let opened = 0;
  let openedAt = 0;
  let refused = 0;
  policy.onBreak(() => {
    opened += 1;
    openedAt = Date.now();
    options.logger?.warn({ subgraph: options.name }, 'subgraph circuit opened');
  });
  policy.onReset(() => options.logger?.info({ subgraph: options.name }, 'subgraph circuit closed'));
  const retryAfterMs = () => Math.max(0, openedAt + options.halfOpenAfterMs - Date.now());
  return {
    wrap: (fetcher) => async (input, init) => {
      if (policy.state === CircuitState.HalfOpen || policy.state === CircuitState.Isolated) {
        refused += 1;
        throw new CircuitOpenError(options.name, retryAfterMs());
      }
      try {
        const timed = await policy.execute(async (): Promise<Timed> => {
          const started = performance.now();
          const response = await fetcher(input, init);
          return { response, failed: response.status >= 500 || performance.now() - started > options.slowCallMs };
        });
        return timed.response;
      } catch (error) {
        if (error instanceof BrokenCircuitError) {
          refused += 1;
          throw new CircuitOpenError(options.name, retryAfterMs());
        }
        throw error;
      }
    },
    stats: () => ({ state: stateNames[policy.state], opened, refused }),
  };
}
