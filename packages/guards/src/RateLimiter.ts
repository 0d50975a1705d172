/** The verdict on one request. */
export interface RateLimitDecision {
  allowed: boolean;
  /** Requests left in the current window. */
  remaining: number;
  /** When refused, whole seconds (at least 1) until the window resets; 0 when allowed. */
  retryAfterSeconds: number;
}

/** A fixed-window request counter per key (a client id, an IP address, …). */
export interface RateLimiter extends AsyncDisposable {
  /** Counts one request against `key`'s budget and says whether it may proceed. */
  consume(key: string): Promise<RateLimitDecision>;
  /** Releases the Redis connection or the in-memory windows. */
  close(): Promise<void>;
  /** Where the counters live: shared by every replica (`redis`) or per process (`memory`). */
  readonly kind: 'redis' | 'memory';
}

/** Options for {@link createRateLimiter}. */
export interface RateLimiterOptions {
  /** Requests allowed per key in one window. */
  points: number;
  /** Length of a window in whole seconds; it starts with a key's first request. */
  windowSeconds: number;
  /** Keeps the counters in Redis, so every gateway replica shares one budget per key. */
  redisUrl?: string;
  /** Namespaces the Redis keys: `<redisPrefix>:ratelimit:<key>`. Default `novacron`. */
  redisPrefix?: string;
  /** Told about every request counted in this process because Redis failed. */
  onError?: (error: unknown) => void;
  /** How long a request waits for Redis before it is counted in this process. Default 250 ms. */
  redisTimeoutMs?: number;
}
