import type { Identity } from '@novacron/auth';

/** What every gateway execution carries: the verified caller, forwarded to subgraphs. */
export interface GatewayContext {
  identity: Identity;
  /**
   * Set on the payload queries the subscription engine derives from a subscription that already passed
   * the guards (safelist, limits) when it was subscribed: they are not client documents.
   */
  subscriptionPayload?: true;
  /**
   * The shortest `x-novacron-max-age-ms` the subgraphs answered this request with: how long its result
   * may be served from the response cache (0: not at all). Unset: no subgraph bounded it.
   */
  reuseMaxAgeMs?: number;
}
