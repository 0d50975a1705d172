/** The gateway's configuration, read from the environment once. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isProductionMode } from '@novacron/auth';
import { readEnv } from '@novacron/server-kit';
import { readSubgraphNames } from './subscriptions/readStreamDeclarations.ts';

/** A PEM from `<NAME>` or from the file named by `<NAME>_FILE`. */
function readPem(name: string): string | undefined {
  const file = readEnv.optional(`${name}_FILE`);
  return file ? readFileSync(file, 'utf8') : readEnv.optional(name)?.replaceAll('\\n', '\n');
}

/** Parsed gateway configuration. */
export interface GatewayConfig {
  host: string;
  port: number;
  /** Port of the Prometheus `/metrics` endpoint, apart from the public port (0: a free one). */
  metricsPort: number;
  /** Path of the composed supergraph SDL (committed at schema/supergraph.graphql). */
  supergraphPath: string;
  /** Per-subgraph URL overrides (`VMS_URL`, …); others use the URL composed into the supergraph. */
  subgraphUrls: Record<string, string>;
  production: boolean;
  maxBodyBytes: number;
  /** How long one gateway→subgraph fetch may take before the request fails with UNAVAILABLE. */
  subgraphTimeoutMs: number;
  /** Concurrent identical subgraph queries of one caller share a fetch (SUBGRAPH_FETCH_DEDUP, on by default). */
  subgraphFetchDedup: boolean;
  /** Query results cached per document, variables, tenant and roles; invalidated by events and mutations. */
  responseCache: {
    enabled: boolean;
    maxEntries: number;
    /** The staleness bound for values that change without an event (cost accruing over time). */
    maxAgeMs: number;
  };
  /** Admission control on the GraphQL endpoint (see admission/createRequestAdmission.ts). */
  admission: {
    /** GraphQL requests served at once (0: no admission control). */
    maxInFlight: number;
    /** Requests waiting for a slot; one more is refused at once with OVERLOADED (HTTP 503). */
    maxQueued: number;
    /** A request waiting longer than this for a slot is refused with OVERLOADED. */
    maxQueueMs: number;
    /** `Retry-After` of a refusal. */
    retryAfterSeconds: number;
    /** Latency the adaptive limit on requests inside steers to (0: fixed limits only; admission/createLatencyLimit.ts). */
    latencyTargetMs: number;
    /** The adaptive limit's floor. */
    minInside: number;
  };
  /** One circuit breaker per subgraph (see createSubgraphBreaker.ts). */
  subgraphBreaker: {
    /** Consecutive failed fetches that open a subgraph's circuit (0: no breakers). */
    failures: number;
    /** How long an open circuit refuses fetches before one probe is let through. */
    halfOpenAfterMs: number;
    /** A fetch slower than this counts as failed. */
    slowCallMs: number;
  };
  web: {
    /** The built web dashboard (web/dist), served on the public port next to /graphql. */
    root: string;
    /** `POST /auth/dev-token` mints development tokens: only with NOVACRON_DEV=1 outside production. */
    devTokens: boolean;
    /** The OpenID Connect client id the dashboard signs in with (authorization code + PKCE) against AUTH_ISSUER. */
    oidcClientId: string | undefined;
    oidcScope: string;
  };
  auth: {
    /** Expected `iss` of callers' tokens; with a JWKS URL or public key. Unset: the development key. */
    issuer: string | undefined;
    audience: string | undefined;
    jwksUrl: string | undefined;
    publicKeyPem: string | undefined;
    algorithms: string[];
    clockToleranceSeconds: number;
    /** The gateway's key for signing internal tokens to subgraphs (ES256 PKCS#8 PEM) and its key id. */
    internalPrivateKeyPem: string | undefined;
    internalKeyId: string;
    /** Development keys (the embedded default) live here. */
    keysDir: string;
  };
  limits: {
    maxDepth: number;
    maxAliases: number;
    maxTokens: number;
    maxCost: number;
    /** Most values the variables of one request may hold (object entries and list items). */
    maxVariableNodes: number;
    /** Requests per tenant per window. */
    rateLimitPoints: number;
    rateLimitWindowSeconds: number;
    /** Requests (and WebSocket connection attempts) per client address per window, counted before the token is checked. */
    addressRateLimitPoints: number;
    /** Accept only the operations shipped in the SDK. */
    safelist: boolean;
  };
  events: {
    /** Event signals come over Redis pub/sub when set... */
    redisUrl: string | undefined;
    redisPrefix: string;
    /** ...and over PostgreSQL LISTEN/NOTIFY otherwise. */
    databaseUrl: string | undefined;
    /** Streams are read this often even without a signal. */
    pollIntervalMs: number;
  };
  webSocket: {
    maxSubscriptionsPerConnection: number;
    /** Open sockets one client address may hold. */
    maxConnectionsPerAddress: number;
    /** Open, authenticated sockets one tenant may hold. */
    maxConnectionsPerTenant: number;
    maxMessageBytes: number;
    maxBufferedBytes: number;
    connectionInitTimeoutMs: number;
    keepAliveMs: number;
    /** Results a subscription may have waiting for its socket before it counts as a slow consumer. */
    queueLimit: number;
    /** Most events a resuming subscription may replay (and have buffered meanwhile) before RESYNC_REQUIRED. */
    replayLimit: number;
  };
}

/** Reads the configuration from the environment, with the embedded-default values. */
export function loadConfig(): GatewayConfig {
  const supergraphPath = readEnv.string('SUPERGRAPH_PATH', fileURLToPath(new URL('../../schema/supergraph.graphql', import.meta.url)));
  // Every subgraph the supergraph names may be moved with `<NAME>_URL`.
  const subgraphUrls: Record<string, string> = {};
  for (const name of readSubgraphNames(readFileSync(supergraphPath, 'utf8'))) {
    const url = readEnv.optional(`${name.toUpperCase()}_URL`);
    if (url) subgraphUrls[name] = url;
  }
  // The platform's one rule (as every subgraph): development mode only with NOVACRON_DEV=1; any NODE_ENV
  // other than exactly "production" used to turn on development keys, introspection and stack traces.
  const production = isProductionMode(process.env);
  return Object.freeze({
    host: readEnv.string('GATEWAY_HOST', '127.0.0.1'),
    port: readEnv.int('GATEWAY_PORT', 4000),
    metricsPort: readEnv.int('GATEWAY_METRICS_PORT', 0),
    supergraphPath,
    subgraphUrls,
    production,
    maxBodyBytes: readEnv.int('GATEWAY_MAX_BODY_BYTES', 1_000_000),
    subgraphTimeoutMs: readEnv.int('SUBGRAPH_TIMEOUT_MS', 30_000),
    subgraphFetchDedup: readEnv.bool('SUBGRAPH_FETCH_DEDUP', true),
    responseCache: {
      enabled: readEnv.bool('RESPONSE_CACHE', false),
      maxEntries: readEnv.int('RESPONSE_CACHE_MAX_ENTRIES', 10_000),
      maxAgeMs: readEnv.int('RESPONSE_CACHE_MAX_AGE_MS', 10_000),
    },
    // Loose by default, like the vms subgraph's mutation admission: the e2e suites send hundreds of
    // requests at once on a loaded machine. A deployment that wants "refused at once" sets them tight.
    admission: {
      maxInFlight: readEnv.int('GATEWAY_MAX_IN_FLIGHT', 256),
      maxQueued: readEnv.int('GATEWAY_MAX_QUEUED', 1_024),
      maxQueueMs: readEnv.int('GATEWAY_MAX_QUEUE_MS', 10_000),
      retryAfterSeconds: readEnv.int('GATEWAY_RETRY_AFTER_SECONDS', 1),
      latencyTargetMs: readEnv.int('GATEWAY_ADMISSION_TARGET_MS', 0),
      minInside: readEnv.int('GATEWAY_ADMISSION_MIN', 2),
    },
    subgraphBreaker: {
      failures: readEnv.int('SUBGRAPH_BREAKER_FAILURES', 5),
      halfOpenAfterMs: readEnv.int('SUBGRAPH_BREAKER_HALF_OPEN_MS', 5_000),
      slowCallMs: readEnv.int('SUBGRAPH_BREAKER_SLOW_MS', 5_000),
    },
    web: {
      root: readEnv.string('WEB_ROOT', fileURLToPath(new URL('../../web/dist', import.meta.url))),
      devTokens: !production,
      oidcClientId: readEnv.optional('WEB_OIDC_CLIENT_ID'),
      oidcScope: readEnv.string('WEB_OIDC_SCOPE', 'openid profile'),
    },
    auth: {
      issuer: readEnv.optional('AUTH_ISSUER'),
      audience: readEnv.optional('AUTH_AUDIENCE'),
      jwksUrl: readEnv.optional('AUTH_JWKS_URL'),
      publicKeyPem: readPem('AUTH_PUBLIC_KEY'),
      algorithms: readEnv.string('AUTH_ALGORITHMS', 'ES256,RS256').split(',').map((entry) => entry.trim()).filter(Boolean),
      clockToleranceSeconds: readEnv.int('AUTH_CLOCK_TOLERANCE_SECONDS', 30),
      internalPrivateKeyPem: readPem('INTERNAL_TOKEN_PRIVATE_KEY'),
      internalKeyId: readEnv.string('INTERNAL_TOKEN_KEY_ID', 'gateway-1'),
      keysDir: readEnv.string('NOVACRON_KEYS_DIR', fileURLToPath(new URL('../../.novacron/keys', import.meta.url))),
    },
    limits: {
      maxDepth: readEnv.int('LIMIT_MAX_DEPTH', 12),
      maxAliases: readEnv.int('LIMIT_MAX_ALIASES', 30),
      maxTokens: readEnv.int('LIMIT_MAX_TOKENS', 5_000),
      maxCost: readEnv.int('LIMIT_MAX_COST', 100_000),
      maxVariableNodes: readEnv.int('LIMIT_MAX_VARIABLE_VALUES', 2_000),
      rateLimitPoints: readEnv.int('RATE_LIMIT_POINTS', 6_000),
      rateLimitWindowSeconds: readEnv.int('RATE_LIMIT_WINDOW_SECONDS', 60),
      addressRateLimitPoints: readEnv.int('RATE_LIMIT_ADDRESS_POINTS', 12_000),
      safelist: readEnv.bool('SAFELIST', false),
    },
    events: {
      redisUrl: readEnv.optional('REDIS_URL'),
      redisPrefix: readEnv.string('REDIS_PREFIX', 'novacron'),
      databaseUrl: readEnv.optional('DATABASE_URL'),
      pollIntervalMs: readEnv.int('EVENT_POLL_INTERVAL_MS', 1_000),
    },
    webSocket: {
      maxSubscriptionsPerConnection: readEnv.int('WS_MAX_SUBSCRIPTIONS_PER_CONNECTION', 100),
      maxConnectionsPerAddress: readEnv.int('WS_MAX_CONNECTIONS_PER_ADDRESS', 1_000),
      maxConnectionsPerTenant: readEnv.int('WS_MAX_CONNECTIONS_PER_TENANT', 5_000),
      maxMessageBytes: readEnv.int('WS_MAX_MESSAGE_BYTES', 64 * 1024),
      maxBufferedBytes: readEnv.int('WS_MAX_BUFFERED_BYTES', 1024 * 1024),
      connectionInitTimeoutMs: readEnv.int('WS_CONNECTION_INIT_TIMEOUT_MS', 5_000),
      keepAliveMs: readEnv.int('WS_KEEP_ALIVE_MS', 12_000),
      queueLimit: readEnv.int('WS_SUBSCRIPTION_QUEUE_LIMIT', 256),
      replayLimit: readEnv.int('SUBSCRIPTION_REPLAY_LIMIT', 10_000),
    },
  });
}
