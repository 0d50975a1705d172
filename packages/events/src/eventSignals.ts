/**
 * Event signals: a wake-up saying "stream X has new committed events". They carry no payload on
 * purpose: readers fetch events from the stream by cursor, so a lost or duplicated signal can delay
 * delivery but never lose or repeat an event.
 */
import { assertRedisPrefix } from '@novacron/redis';

/** The PostgreSQL NOTIFY channel the outbox triggers signal on. */
export const postgresEventChannel = 'novacron_events';

/** A stream name as signalled: `<subgraph>.<stream>`. */
export type EventStreamName = `${string}.${string}`;

/** Narrows a signal payload to a stream name. */
export function isEventStreamName(value: string): value is EventStreamName {
  return /^[a-z]+\.[a-z_]+$/.test(value);
}

/** The Redis pub/sub topics of event signals (channel `<prefix>:events`), for `@novacron/redis`. */
export type EventSignalTopics = { events: EventStreamName };

/** Decoders of {@link EventSignalTopics}: a message on `events` must be a stream name. */
export const eventSignalTopics = { events: isEventStreamName } as const;

/** The Redis pub/sub channel signals are relayed to, under a deployment's prefix. */
export function redisEventTopic(prefix: string): string {
  assertRedisPrefix(prefix);
  return `${prefix}:events`;
}
