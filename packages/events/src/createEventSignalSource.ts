import postgres from 'postgres';
import { createPrefixedRedis } from '@novacron/redis';
import { eventSignalTopics, isEventStreamName, postgresEventChannel, type EventSignalTopics, type EventStreamName } from './eventSignals.ts';

/** Where signals come from, and how to stop listening. */
export interface EventSignalSource {
  readonly kind: 'redis' | 'postgres';
  /**
   * Resolves once the source listens or, for Redis, once its first connection attempt failed: an
   * unreachable Redis at start is an outage like any other (readers poll, the source keeps
   * retrying and starts listening when Redis comes up). Never rejects for Redis.
   */
  ready: Promise<void>;
  /** True while signals can arrive. */
  readonly connected: boolean;
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
  // Not lazy, with the offline queue and no retry cap: SUBSCRIBE waits for the first successful
  // connection however late it comes, and ioredis re-subscribes after every reconnect. Awaiting
  // connect() instead made the gateway exit when Redis was down at start.
  const redis = createPrefixedRedis<EventSignalTopics>({
    url,
    prefix,
    topics: eventSignalTopics,
    connection: { maxRetriesPerRequest: null, autoResubscribe: true, retryStrategy: (times) => Math.min(times * 200, 2_000) },
  });
  let connected = false;
  let reportFirstFailure: () => void = () => {};
  const firstFailure = new Promise<void>((resolve) => {
    reportFirstFailure = resolve;
  });
  const change = (now: boolean) => {
    if (connected === now) return;
    connected = now;
    options.onConnectionChange?.(now);
  };
  redis.client.on('ready', () => change(true));
  redis.client.on('close', () => change(false));
  redis.client.on('error', () => {
    // ioredis reconnects by itself; the close/ready events above report the outage.
    reportFirstFailure();
  });
  const subscribed = redis.subscribe('events', options.onSignal).then(
    () => change(true),
    () => {
      // Only a close() before the first connection gets here.
    },
  );
  return {
    kind: 'redis',
    ready: Promise.race([subscribed, firstFailure]),
    get connected() {
      return connected;
    },
    close: () => redis.close(),
  };
}

function listenPostgres(url: string, options: EventSignalSourceOptions): EventSignalSource {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connection: { application_name: 'novacron-event-listener' } });
  let connected = false;
  const ready = sql
    .listen(
      postgresEventChannel,
      (payload) => {
        if (isEventStreamName(payload)) options.onSignal(payload);
      },
      () => {
        connected = true;
        options.onConnectionChange?.(true);
      },
    )
    .then(() => undefined);
  return {
    kind: 'postgres',
    ready,
    get connected() {
      return connected;
    },
    close: async () => {
      await sql.end({ timeout: 2 });
    },
  };
}
