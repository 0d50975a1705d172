/**
 * One entry of a subgraph's internal event feed (`_eventFeed`): the contract between a subgraph that
 * keeps an event stream and the gateway that routes it. Enough to route an event, not its payload.
 */
export interface EventFeedEntry {
  cursor: string;
  tenantId: string;
  /** The VM or operation the event is about. */
  entityId: string;
  vmId: string;
  version: number;
  type: string;
  provider: string | null;
  region: string | null;
  labels: Record<string, string> | null;
  /** True when the entity will change no more (a finished operation). */
  terminal: boolean;
}
