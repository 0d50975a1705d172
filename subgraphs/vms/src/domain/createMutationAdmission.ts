import { bulkhead, isBulkheadRejectedError, type BulkheadPolicy } from 'cockatiel';
import { appError, type AppError } from '@novacron/errors';

/** Limits of {@link createMutationAdmission}. */
export interface MutationAdmissionOptions {
  /** Mutations executing at once (each holds a database connection and calls placement and billing). */
  maxConcurrent: number;
  /** Mutations waiting for a slot; one more is refused at once. */
  maxQueued: number;
  /** A waiting mutation that gets no slot within this long is refused (its client would rather retry). */
  maxQueueMs: number;
  /** What `Retry-After` / `retryAfterSeconds` tells a refused client. */
  retryAfterSeconds: number;
  /** Called with the latency (waiting included) of every admitted mutation that finished (signalAcceptPressure.ts). */
  onFinished?: (latencyMs: number) => void;
}

/** Admission control for the mutation path: run a mutation, or refuse it with OVERLOADED. */
export interface MutationAdmission {
  run<T>(mutation: () => Promise<T>): Promise<T>;
  /** Mutations executing and waiting right now (metrics, tests). */
  readonly executing: number;
  readonly queued: number;
}

/**
 * Offered more than it can serve, the subgraph used to queue every request (in the database pool),
 * so accept latency grew into seconds for everyone (p95 4.1 s at 300 createVM/s; issue 14). A
 * bulkhead (cockatiel) bounds the work in flight and the queue in front of it, and a queue-time bound
 * refuses a request that waited too long: the excess is refused at once with OVERLOADED, and the
 * requests that are admitted keep their latency.
 */
export function createMutationAdmission(options: MutationAdmissionOptions): MutationAdmission {
  const policy: BulkheadPolicy = bulkhead(options.maxConcurrent, options.maxQueued);
  const overloaded = (reason: string): AppError =>
    appError('OVERLOADED', 'the service is at capacity; nothing was changed, retry after the indicated time', { reason, retryAfterSeconds: options.retryAfterSeconds });
  return {
    async run<T>(mutation: () => Promise<T>): Promise<T> {
      const arrivedAt = performance.now();
      const waited = new AbortController();
      let started = false;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          if (started) return;
          waited.abort();
          reject(overloaded('QUEUE_TIMEOUT'));
        }, options.maxQueueMs);
      });
      const admitted = policy.execute(async () => {
        started = true;
        clearTimeout(timer);
        try {
          return await mutation();
        } finally {
          options.onFinished?.(performance.now() - arrivedAt);
        }
      }, waited.signal);
      try {
        return await Promise.race([admitted, deadline]);
      } catch (error) {
        if (isBulkheadRejectedError(error)) throw overloaded('QUEUE_FULL');
        throw error;
      } finally {
        clearTimeout(timer);
        // The queued task is dropped by cockatiel when its turn comes (its signal is aborted).
        admitted.catch(() => {});
      }
    },
    get executing() {
      return options.maxConcurrent - policy.executionSlots;
    },
    get queued() {
      return options.maxQueued - policy.queueSlots;
    },
  };
}
