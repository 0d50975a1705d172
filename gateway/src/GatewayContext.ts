import type { Identity } from '@novacron/auth';

/** What every gateway execution carries: the verified caller, forwarded to subgraphs. */
export interface GatewayContext {
  identity: Identity;
}
