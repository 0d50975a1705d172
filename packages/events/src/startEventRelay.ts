import postgres from 'postgres';
import { createPrefixedRedis } from '@novacron/redis';
import { eventSignalTopics, isEventStreamName, postgresEventChannel, type EventSignalTopics } from './eventSignals.ts';

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
  let healthy = true;
  const unhealthy = (error: unknown) => {
    if (!healthy) return;
    healthy = false;
    options.onError?.(error);
  };
  redis.on('error', unhealthy);
  redis.on('ready', () => {
    if (healthy) return;
    healthy = true;
    options.onRecovered?.();
  });
  const sql = postgres(options.databaseUrl, { max: 1, onnotice: () => {}, connection: { application_name: 'novacron-event-relay' } });
  const ready = Promise.all([
    redis.connect().catch(unhealthy),
    sql.listen(postgresEventChannel, (payload) => {
      // While Redis is down, signals are dropped on purpose: readers poll, and read by cursor anyway.
      if (!isEventStreamName(payload) || redis.status !== 'ready' || options.relays?.(payload) === false) return;
      publisher.publish('events', payload).catch(unhealthy);
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
