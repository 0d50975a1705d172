import postgres from 'postgres';
import { createPrefixedRedis } from '@novacron/redis';
import { eventSignalTopics, isEventStreamName, postgresEventChannel, type EventSignalTopics, type EventStreamName } from './eventSignals.ts';

/** A running relay. */
export interface EventRelay {
  ready: Promise<void>;
  close(): Promise<void>;
}

/** Options for {@link startEventRelay}. */
export interface EventRelayOptions {
  databaseUrl: string;
  redisUrl: string;
  redisPrefix?: string;
  /** Told once when Redis becomes unreachable; the relay keeps going and readers fall back to polling. */
  onError?: (error: unknown) => void;
  /** Told once when Redis is reachable again. */
  onRecovered?: () => void;
  /** Relays only the streams this returns true for (a subgraph relays its own); default all. */
  relays?: (stream: string) => boolean;
}

/**
 * Relays the outbox triggers' PostgreSQL notifications to Redis pub/sub, so any number of gateway
 * replicas hear of committed events without each holding a LISTEN connection. Several relays may
 * run at once; signals are idempotent.
 */
export function startEventRelay(options: EventRelayOptions): EventRelay {
  const publisher = createPrefixedRedis<EventSignalTopics>({
    url: options.redisUrl,
    prefix: options.redisPrefix ?? 'novacron',
    topics: eventSignalTopics,
    connection: { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: (times) => Math.min(times * 200, 2_000) },
  });
  const redis = publisher.client;
  // Streams whose signal could not be sent while Redis was unreachable: signalled once it is back, so a
  // gateway that is already listening (and not polling often) hears of what was committed meanwhile.
  const missed = new Set<EventStreamName>();
  const signal = (stream: EventStreamName) => {
    if (redis.status !== 'ready') {
      missed.add(stream);
      return;
    }
    publisher.publish('events', stream).catch((error: unknown) => {
      missed.add(stream);
      unhealthy(error);
    });
  };
  let healthy = true;
  const unhealthy = (error: unknown) => {
    if (!healthy) return;
    healthy = false;
    options.onError?.(error);
  };
  redis.on('error', unhealthy);
  redis.on('ready', () => {
    const pending = [...missed];
    missed.clear();
    for (const stream of pending) signal(stream);
    if (healthy) return;
    healthy = true;
    options.onRecovered?.();
  });
  const sql = postgres(options.databaseUrl, { max: 1, onnotice: () => {}, connection: { application_name: 'novacron-event-relay' } });
  const ready = Promise.all([
    redis.connect().catch(unhealthy),
    sql.listen(postgresEventChannel, (payload) => {
      // While Redis is down a stream's signals collapse into one, sent when it is back (readers read by
      // cursor, so one signal covers any number of events; they also poll in the meantime).
      if (!isEventStreamName(payload) || options.relays?.(payload) === false) return;
      signal(payload);
    }),
  ]).then(() => undefined);
  return {
    ready,
    close: async () => {
      await publisher.close();
      await sql.end({ timeout: 2 });
    },
  };
}
