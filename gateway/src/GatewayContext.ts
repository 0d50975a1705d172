import type { IncomingMessage } from 'node:http';
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
  /**
   * The HTTP request this execution serves (absent for the subscription engine's own executions): the
   * admission learns which operation it ran. A property, not a map keyed by the context: Apollo
   * executes each operation with a shallow copy of the context.
   */
  httpRequest?: IncomingMessage;
}
