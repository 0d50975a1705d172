/**
 * One entry of a subgraph's internal event feed (`_eventFeed`, the kit's contract): enough to route an
 * event without knowing what it means, and the entity as it was after the change when asked for.
 */
export interface EventFeedEntry {
  cursor: string;
  tenantId: string;
  /** The entity the event is about. */
  entityId: string;
  /** Entity ids whose followers this event may concern (the entity, and e.g. its VM). */
  keys: string[];
  version: number;
  type: string;
  /** True when the entity will change no more (a finished operation). */
  terminal: boolean;
  /** ISO 8601. */
  occurredAt: string;
  /** The entity after the change; only when read `withPayload`. */
  payload: Record<string, unknown> | null;
}
