import type { Identity } from './Identity.ts';

/** The gateway acting on its own behalf (the event feed, health probes), not for a user. */
export interface SystemCaller {
  system: true;
  /** Names the internal caller, for audit logs (`gateway`, `gateway/event-feed`). */
  subject: string;
}

/** Who a subgraph is serving, as vouched for by the gateway's internal token. */
export type InternalPrincipal = { kind: 'user'; identity: Identity } | { kind: 'system'; subject: string };
