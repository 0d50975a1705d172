import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { internalTokenHeader } from '@novacron/auth';
import { AppError, createErrorFormatter } from '@novacron/errors';
import { createRateLimiter } from '@novacron/guards';
import { createGraphQLHttpServer, createLogger, listen, type Logger } from '@novacron/server-kit';
import type { GatewayConfig } from './config.ts';
import type { GatewayContext } from './GatewayContext.ts';
import { createOperationGuard } from './security/createOperationGuard.ts';
import { createSafelist } from './security/createSafelist.ts';
import { loadGatewaySecurity } from './security/loadGatewaySecurity.ts';
import { useRequestGuards } from './security/useRequestGuards.ts';
import { readStreamDeclarations } from './subscriptions/readStreamDeclarations.ts';
import { apiSchemaOf, startSubscriptions, type RunningSubscriptions } from './subscriptions/startSubscriptions.ts';

/** A running gateway. */
export interface RunningGateway {
  url: string;
  port: number;
  subscriptions: RunningSubscriptions;
  stop(): Promise<void>;
}

// graphql-js words it "more than" or, in newer 16.x, "more that".
const tokenLimitMessage = /Document contains more th\w+ \d+ tokens/;

/**
 * Serves the committed supergraph through @apollo/gateway (no introspection of subgraphs at boot):
 * verifies each caller's token, rate-limits per tenant, applies the operation limits before
 * execution, and forwards the caller's identity to subgraphs in a short-lived signed token.
 */
export async function start(config: GatewayConfig, logger: Logger = createLogger('gateway')): Promise<RunningGateway> {
  const security = await loadGatewaySecurity(config);
  const subgraphUrls = new Map<string, string>();
  const supergraphSdl = readFileSync(config.supergraphPath, 'utf8');
  const apiSchema = apiSchemaOf(supergraphSdl);
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) => {
      const resolved = config.subgraphUrls[name] ?? url;
      if (!resolved) throw new Error(`subgraph ${name} has no URL`);
      subgraphUrls.set(name, resolved);
      const signInternalToken = security.signFor(name);
      return new RemoteGraphQLDataSource<GatewayContext>({
        url: resolved,
        fetcher: fetch as never,
        willSendRequest: async ({ request, context }) => {
          request.http?.headers.set(internalTokenHeader, await signInternalToken(context.identity));
        },
      });
    },
    logger,
  });
  const guard = createOperationGuard({ schema: apiSchema, limits: config.limits, production: config.production, safelist: config.limits.safelist ? createSafelist() : null });
  const limiter = createRateLimiter({
    points: config.limits.rateLimitPoints,
    windowSeconds: config.limits.rateLimitWindowSeconds,
    redisUrl: config.events.redisUrl,
    redisPrefix: config.events.redisPrefix,
    onError: throttled(10_000, (error) => logger.warn({ err: error }, 'rate limiter could not reach Redis; letting requests through')),
  });
  const formatError = createErrorFormatter({
    production: config.production,
    onMasked: (error) => logger.error({ err: error }, 'unexpected error while executing a request'),
  });
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    introspection: !config.production,
    includeStacktraceInErrorResponses: !config.production,
    // "Did you mean …?" suggestions reveal the schema: off in production.
    hideSchemaDetailsFromClientErrors: config.production,
    parseOptions: { maxTokens: config.limits.maxTokens },
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    plugins: [useRequestGuards(guard)],
    formatError: (formatted, error) => {
      if (tokenLimitMessage.test(formatted.message)) {
        return { message: config.production ? 'the operation is too large' : formatted.message, extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'tokens' } };
      }
      return formatError(formatted, error);
    },
  });
  await apollo.start();
  let metrics: () => unknown = () => ({});
  const server = createGraphQLHttpServer<GatewayContext>({
    apollo,
    logger,
    maxBodyBytes: config.maxBodyBytes,
    // Counts only (no identities): subscription engine, connections, memory and CPU of this process.
    jsonRoutes: { '/metrics': () => metrics() },
    context: async (request) => {
      const identity = await security.identify(request.headers.authorization);
      const decision = await limiter.consume(`tenant:${identity.tenantId}`);
      if (!decision.allowed) {
        throw new AppError('RATE_LIMITED', 'too many requests for this tenant; retry later', {
          retryAfterSeconds: decision.retryAfterSeconds,
          http: { status: 429, headers: new HeaderMap([['retry-after', String(decision.retryAfterSeconds)]]) },
        });
      }
      return { identity };
    },
    ready: async () => {
      const checks = [...subgraphUrls.values()].map(async (url) => {
        const response = await fetch(new URL('/ready', url), { signal: AbortSignal.timeout(2_000) });
        return response.ok;
      });
      return (await Promise.all(checks)).every(Boolean);
    },
  });
  const subscriptions = await startSubscriptions({ config, httpServer: server, apollo, apiSchema, declarations: readStreamDeclarations(supergraphSdl), subgraphUrls, security, guard, logger });
  metrics = () => ({
    webSocketConnections: subscriptions.webSocket.connections(),
    ...subscriptions.engine.stats(),
    eventSignals: subscriptions.signals?.kind ?? 'polling',
    rateLimiter: limiter.kind,
    memory: process.memoryUsage(),
    cpu: process.cpuUsage(),
  });
  const running = await listen(server, config.port, config.host);
  logger.info(
    { url: running.url, eventSignals: subscriptions.signals?.kind ?? 'polling', identity: security.development ? 'development key (npm run token)' : 'configured issuer' },
    'gateway listening (HTTP and graphql-ws)',
  );
  return {
    url: running.url,
    port: running.port,
    subscriptions,
    stop: async () => {
      await subscriptions.stop();
      await running.close();
      await apollo.stop();
      await limiter.close();
    },
  };
}

/** Calls `report` at most once per interval (a Redis outage would otherwise log once per request). */
function throttled<T>(intervalMs: number, report: (value: T) => void): (value: T) => void {
  let last = 0;
  return (value) => {
    if (Date.now() - last < intervalMs) return;
    last = Date.now();
    report(value);
  };
}
