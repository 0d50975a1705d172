import { Redis } from 'ioredis';
import postgres from 'postgres';
import { isEventStreamName, postgresEventChannel, redisEventTopic } from './eventSignals.ts';

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
  /** Told of publish failures (Redis down); the relay keeps going and readers fall back to polling. */
  onError?: (error: unknown) => void;
}

/**
 * Relays the outbox triggers' PostgreSQL notifications to Redis pub/sub, so any number of gateway
 * replicas hear of committed events without each holding a LISTEN connection. Several relays may
 * run at once; signals are idempotent.
 */
export function startEventRelay(options: EventRelayOptions): EventRelay {
  const topic = redisEventTopic(options.redisPrefix ?? 'novacron');
  const redis = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: (times) => Math.min(times * 200, 2_000) });
  redis.on('error', (error) => options.onError?.(error));
  const sql = postgres(options.databaseUrl, { max: 1, onnotice: () => {}, connection: { application_name: 'novacron-event-relay' } });
  const ready = Promise.all([
    redis.connect().catch((error: unknown) => options.onError?.(error)),
    sql.listen(postgresEventChannel, (payload) => {
      if (!isEventStreamName(payload)) return;
      redis.publish(topic, payload).catch((error: unknown) => options.onError?.(error));
    }),
  ]).then(() => undefined);
  return {
    ready,
    close: async () => {
      redis.disconnect();
      await sql.end({ timeout: 2 });
    },
  };
}
