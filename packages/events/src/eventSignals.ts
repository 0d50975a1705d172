/**
 * Event signals: a wake-up saying "stream X has new committed events". They carry no payload on
 * purpose: readers fetch events from the stream by cursor, so a lost or duplicated signal can delay
 * delivery but never lose or repeat an event.
 */

/** The PostgreSQL NOTIFY channel the outbox triggers signal on. */
export const postgresEventChannel = 'novacron_events';

/** The Redis pub/sub topic signals are relayed to, under a deployment's prefix. */
export function redisEventTopic(prefix: string): string {
  if (!/^[a-z0-9:_-]{1,64}$/i.test(prefix)) throw new Error(`invalid Redis channel prefix "${prefix}"`);
  return `${prefix}:events`;
}

/** A stream name as signalled: `<subgraph>.<stream>`. */
export type EventStreamName = `${string}.${string}`;

/** Narrows a signal payload to a stream name. */
export function isEventStreamName(value: string): value is EventStreamName {
  return /^[a-z]+\.[a-z_]+$/.test(value);
}
