import { Redis, type RedisOptions } from 'ioredis';

/** Decoders of a connection's pub/sub topics: each narrows a raw message to the topic's message type. */
export type TopicDecoders<TTopics extends Record<string, string>> = {
  readonly [Topic in keyof TTopics]: (message: string) => message is TTopics[Topic];
};

/** Options for {@link createPrefixedRedis}. */
export interface PrefixedRedisOptions<TTopics extends Record<string, string>> {
  url: string;
  /** The deployment's namespace (`REDIS_PREFIX`): every key is `<prefix>:…`, every channel `<prefix>:<topic>`. */
  prefix: string;
  /** The pub/sub topics this connection may use, with the decoder of each one's messages. */
  topics: TopicDecoders<TTopics>;
  /** ioredis connection options (retries, timeouts, offline queue); the key prefix is not one of them. */
  connection?: Omit<RedisOptions, 'keyPrefix'>;
}

/**
 * One Redis connection of NovaCron. Its keys and channels can only live under the deployment prefix,
 * so two deployments (or two tests) sharing a server never see each other's counters or signals.
 */
export interface PrefixedRedis<TTopics extends Record<string, string>> extends AsyncDisposable {
  readonly prefix: string;
  /** The ioredis client, for libraries that take one (rate-limiter-flexible); it adds `<prefix>:` to every key. */
  readonly client: Redis;
  /** The full channel name of a topic, `<prefix>:<topic>`. */
  channel(topic: keyof TTopics & string): string;
  /** Publishes a typed message on a topic; resolves to the number of subscribers that got it. */
  publish<Topic extends keyof TTopics & string>(topic: Topic, message: TTopics[Topic]): Promise<number>;
  /**
   * Subscribes to a topic; messages that fail the topic's decoder are dropped. The connection is in
   * subscriber mode from then on (Redis allows no other commands on it), and ioredis re-subscribes after
   * every reconnect.
   */
  subscribe<Topic extends keyof TTopics & string>(topic: Topic, listener: (message: TTopics[Topic]) => void): Promise<void>;
  /** Closes the connection at once; pending commands fail. */
  close(): Promise<void>;
}

const validPrefix = /^[a-z0-9_-]+(?::[a-z0-9_-]+)*$/i;

/** Checks a deployment prefix: letters, digits, `_`, `-`, segments joined by `:`, at most 64 characters. */
export function assertRedisPrefix(prefix: string): void {
  if (prefix.length > 64 || !validPrefix.test(prefix)) throw new RangeError(`invalid Redis prefix "${prefix}": use letters, digits, _ and -, segments joined by ":"`);
}

/** Opens a Redis connection whose keys (through ioredis' `keyPrefix`) and channels all sit under `prefix`. */
export function createPrefixedRedis<TTopics extends Record<string, string>>(options: PrefixedRedisOptions<TTopics>): PrefixedRedis<TTopics> {
  assertRedisPrefix(options.prefix);
  const client = new Redis(options.url, { ...options.connection, keyPrefix: `${options.prefix}:` });
  const channel = (topic: keyof TTopics & string) => {
    if (!Object.hasOwn(options.topics, topic)) throw new RangeError(`unknown Redis topic "${topic}"`);
    return `${options.prefix}:${topic}`;
  };
  const listeners = new Map<string, (message: string) => void>();
  client.on('message', (name: string, message: string) => listeners.get(name)?.(message));
  const close = async () => client.disconnect();
  return {
    prefix: options.prefix,
    client,
    channel,
    publish: (topic, message) => client.publish(channel(topic), message),
    async subscribe(topic, listener) {
      const name = channel(topic);
      const decode = options.topics[topic];
      listeners.set(name, (message) => {
        if (decode(message)) listener(message);
      });
      await client.subscribe(name);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
