/**
 * Faults an emulator injects into its next matching requests, so tests and demos can see how the
 * SDKs and drivers behave when a cloud throttles, runs out of capacity or loses a response.
 * Each emulator turns a fault kind into its cloud's own wire error.
 */

/** The kinds of failure every emulator can produce. */
export type EmulatedFaultKind =
  /** The cloud's throttling error (EC2 RequestLimitExceeded, ARM 429, GCE 429 rateLimitExceeded). */
  | 'throttle'
  /** No capacity for the request (InsufficientInstanceCapacity, AllocationFailed, ZONE_RESOURCE_POOL_EXHAUSTED). */
  | 'capacity'
  /** The account's quota is exhausted. */
  | 'quota'
  /** The caller lacks permission for the action. */
  | 'forbidden'
  /** The request is performed, then the connection is dropped before any response. */
  | 'lost_response'
  /** A 500 internal error. */
  | 'server_error';

/** One injected fault. */
export interface EmulatedFault {
  /** The cloud action it hits (`RunInstances`, `virtualMachines.createOrUpdate`, `instances.insert`, …) or `*`. */
  action: string;
  kind: EmulatedFaultKind;
  /** How many matching requests it hits; 1 by default. */
  count?: number;
  /** Retry-After seconds sent with a throttle (where the cloud sends one). */
  retryAfterSeconds?: number;
}

/** A queue of faults, consumed by matching requests in order. */
export class FaultPlan {
  #faults: Required<EmulatedFault>[] = [];

  /** Adds a fault. */
  inject(fault: EmulatedFault): void {
    this.#faults.push({ count: 1, retryAfterSeconds: 0, ...fault });
  }

  /** Removes every fault. */
  clear(): void {
    this.#faults = [];
  }

  /** Takes the first fault for an action (or `*`), counting it down. */
  take(action: string): Required<EmulatedFault> | undefined {
    const index = this.#faults.findIndex((fault) => fault.action === action || fault.action === '*');
    if (index < 0) return undefined;
    const fault = this.#faults[index]!;
    fault.count -= 1;
    if (fault.count <= 0) this.#faults.splice(index, 1);
    return fault;
  }
}
