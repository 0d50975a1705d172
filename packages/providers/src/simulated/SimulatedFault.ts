import type { SimulatedProviderName } from './simulatedFlavours.ts';

/** The calls a fault can target; `get` covers every read (get, list, findByClientToken), `*` every call. */
export type SimulatedFaultAction = 'create' | 'start' | 'stop' | 'reboot' | 'resize' | 'delete' | 'get' | '*';

/**
 * How an injected fault misbehaves:
 * - `transient` throws a retryable error before doing anything;
 * - `permanent` throws a non-retryable error before doing anything;
 * - `lost_response` performs the call, then throws a retryable `RequestTimeout`, as if the
 *   response were lost on the network.
 */
export type SimulatedFaultKind = 'transient' | 'permanent' | 'lost_response';

/** A fault to inject into a simulated cloud. */
export interface SimulatedFault {
  provider: SimulatedProviderName;
  action: SimulatedFaultAction;
  kind: SimulatedFaultKind;
  /** How many matching calls misbehave before the fault is used up. */
  count: number;
  /** Only calls in this region misbehave; every region when omitted. */
  region?: string;
  /**
   * The provider error code thrown. Defaults: `RequestLimitExceeded` (transient; `ServiceUnavailable`
   * is the other realistic choice), `InsufficientInstanceCapacity` (permanent), `RequestTimeout` (lost_response).
   */
  code?: string;
  /** The error message thrown; a default naming the fault when omitted. */
  message?: string;
}
