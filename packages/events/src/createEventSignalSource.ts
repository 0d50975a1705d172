import postgres from 'postgres';
import { createPrefixedRedis } from '@novacron/redis';
import { eventSignalTopics, isEventStreamName, postgresEventChannel, type EventSignalTopics, type EventStreamName } from './eventSignals.ts';

/** Where signals come from, and how to stop listening. */
export interface EventSignalSource {
  readonly kind: 'redis' | 'postgres';
  /** Resolves once the source listens. */
  ready: Promise<void>;
  close(): Promise<void>;
}

/** Options for {@link createEventSignalSource}. */
export interface EventSignalSourceOptions {
  /** With a Redis URL, signals come over Redis pub/sub; otherwise over PostgreSQL LISTEN. */
  redisUrl?: string;
  redisPrefix?: string;
  databaseUrl?: string;
  onSignal: (stream: EventStreamName) => void;
  /** Told when the connection drops or comes back, so readers can fall back to polling. */
  onConnectionChange?: (connected: boolean) => void;
}

/** Listens for event signals: Redis pub/sub when configured, PostgreSQL LISTEN/NOTIFY otherwise. */
export function createEventSignalSource(options: EventSignalSourceOptions): EventSignalSource {
  if (options.redisUrl) return listenRedis(options.redisUrl, options.redisPrefix ?? 'novacron', options);
  if (options.databaseUrl) return listenPostgres(options.databaseUrl, options);
  throw new Error('event signals need REDIS_URL or DATABASE_URL');
}

function listenRedis(url: string, prefix: string, options: EventSignalSourceOptions): EventSignalSource {
  const redis = createPrefixedRedis<EventSignalTopics>({
    url,
    prefix,
    topics: eventSignalTopics,
    connection: { lazyConnect: true, maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(times * 200, 2_000) },
  });
  redis.client.on('ready', () => options.onConnectionChange?.(true));
  redis.client.on('close', () => options.onConnectionChange?.(false));
  redis.client.on('error', () => {
    // ioredis reconnects by itself; the close/ready events above report the outage.
  });
  const ready = redis.client.connect().then(async () => {
    await redis.subscribe('events', options.onSignal);
  });
  return {
    kind: 'redis',
    ready,
    close: () => redis.close(),
  };
}

function listenPostgres(url: string, options: EventSignalSourceOptions): EventSignalSource {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connection: { application_name: 'novacron-event-listener' } });
  const ready = sql
    .listen(
      postgresEventChannel,
      (payload) => {
        if (isEventStreamName(payload)) options.onSignal(payload);
      },
      () => options.onConnectionChange?.(true),
    )
    .then(() => undefined);
  return {
    kind: 'postgres',
    ready,
    close: async () => {
      await sql.end({ timeout: 2 });
    },
  };
}
