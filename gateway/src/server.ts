import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { AppError, createErrorFormatter } from '@novacron/errors';
import { createGraphQLHttpServer, createLogger, listen, type Logger } from '@novacron/server-kit';
import { injectTraceHeaders } from '@novacron/telemetry';
import { createRequestAdmission } from './admission/createRequestAdmission.ts';
import { useAdmissionOperations } from './admission/useAdmissionOperations.ts';
import { useOverloadedStatus } from './admission/useOverloadedStatus.ts';
import type { GatewayConfig } from './config.ts';
import { createGatewayTelemetry } from './createGatewayTelemetry.ts';
import { createResponseCache } from './cache/createResponseCache.ts';
import { createRedisResponseCache } from './cache/createRedisResponseCache.ts';
import { answerFromCache } from './cache/answerFromCache.ts';
import { invalidateOnEvents } from './cache/invalidateOnEvents.ts';
import { useResponseCache } from './cache/useResponseCache.ts';
import { createSubgraphBreaker, type SubgraphBreaker } from './createSubgraphBreaker.ts';
import { createSubgraphDataSource } from './createSubgraphDataSource.ts';
import { createSubgraphFetch } from './createSubgraphFetch.ts';
import { createSubgraphFetchDedup } from './createSubgraphFetchDedup.ts';
import type { GatewayContext } from './GatewayContext.ts';
import { createOperationGuard } from './security/createOperationGuard.ts';
import { clientAddress, createRequestLimits } from './security/createRequestLimits.ts';
import { createSafelist } from './security/createSafelist.ts';
import { routeOtlpMetrics } from './routeOtlpMetrics.ts';
import { loadGatewaySecurity } from './security/loadGatewaySecurity.ts';
import { useRequestGuards } from './security/useRequestGuards.ts';
import { wantsEventStream } from './subscriptions/createServerSentEvents.ts';
import { readStreamDeclarations } from './subscriptions/readStreamDeclarations.ts';
import { createWebHandler } from './web/createWebHandler.ts';
import { apiSchemaOf, startSubscriptions, type RunningSubscriptions } from './subscriptions/startSubscriptions.ts';

/** A running gateway. */
export interface RunningGateway {
  url: string;
  port: number;
  /** The Prometheus `/metrics` endpoint, on its own port. */
  metricsUrl: string;
  subscriptions: RunningSubscriptions;
  /** Counts of this process (subscription engine, connections, memory, CPU). Not served on the public port. */
  stats(): Record<string, unknown>;
  stop(): Promise<void>;
}

/** Whether a request is for the GraphQL endpoint (`/graphql`, any query string). */
function isGraphQLPath(request: IncomingMessage): boolean {
  const url = request.url ?? '/';
  const end = url.indexOf('?');
  return (end === -1 ? url : url.slice(0, end)) === '/graphql';
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
  const breakers = new Map<string, SubgraphBreaker>();
  const dedup = config.subgraphFetchDedup ? createSubgraphFetchDedup() : undefined;
  const subgraphFetch = createSubgraphFetch();
  const supergraphSdl = readFileSync(config.supergraphPath, 'utf8');
  const apiSchema = apiSchemaOf(supergraphSdl);
  const ready = async () => {
    const checks = [...subgraphUrls.values()].map(async (url) => {
      const response = await fetch(new URL('/ready', url), { signal: AbortSignal.timeout(2_000) });
      return response.ok;
    });
    return (await Promise.all(checks)).every(Boolean);
  };
  const telemetry = createGatewayTelemetry(config, ready);
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) => {
      const resolved = config.subgraphUrls[name] ?? url;
      if (!resolved) throw new Error(`subgraph ${name} has no URL`);
      subgraphUrls.set(name, resolved);
      const { failures, halfOpenAfterMs, slowCallMs } = config.subgraphBreaker;
      const breaker = failures > 0 ? createSubgraphBreaker({ name, failures, halfOpenAfterMs, slowCallMs, logger }) : undefined;
      if (breaker) breakers.set(name, breaker);
      return createSubgraphDataSource({
        breaker,
        dedupe: dedup?.wrap,
        name,
        url: resolved,
        timeoutMs: config.subgraphTimeoutMs,
        signInternalToken: security.signFor(name),
        fetcher: telemetry.fetcherFor(name, subgraphFetch.fetch),
        // The subgraph's spans continue this request's trace (W3C traceparent).
        injectHeaders: injectTraceHeaders,
      });
    },
    logger,
  });
  const guard = createOperationGuard({ schema: apiSchema, limits: config.limits, production: config.production, safelist: config.limits.safelist ? createSafelist() : null });
  const limits = createRequestLimits(config, logger);
  const responseCache = !config.responseCache.enabled
    ? null
    : config.events.redisUrl
      ? createRedisResponseCache({ ...config.responseCache, logger, url: config.events.redisUrl, prefix: config.events.redisPrefix })
      : createResponseCache(config.responseCache);
  const formatError = createErrorFormatter({
    production: config.production,
    onMasked: (error) => logger.error({ err: error }, 'unexpected error while executing a request'),
  });
  const admission = createRequestAdmission({ ...config.admission, onRefused: (reason) => telemetry.overloaded(reason) });
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    introspection: !config.production,
    includeStacktraceInErrorResponses: !config.production,
    // "Did you mean …?" suggestions reveal the schema: off in production.
    hideSchemaDetailsFromClientErrors: config.production,
    parseOptions: { maxTokens: config.limits.maxTokens },
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    // The cache comes after the guards: a cached answer is only for a request that passed them.
    // Cache control off: no subgraph sends cache hints and the response cache has its own bounds, so the
    // plugin only ever computed an uncacheable policy per request (as in the subgraphs; see subgraph-kit).
    plugins: [
      ApolloServerPluginCacheControlDisabled(),
      telemetry.plugin,
      useRequestGuards(guard),
      ...(responseCache ? [useResponseCache(responseCache)] : []),
      useOverloadedStatus({ retryAfterSeconds: config.admission.retryAfterSeconds, onRelayed: () => telemetry.overloaded('SUBGRAPH') }),
      ...(config.admission.latencyTargetMs ? [useAdmissionOperations<GatewayContext>({ requestOf: (context) => context.httpRequest, note: admission.noteOperation })] : []),
    ],
    formatError: (formatted, error) => {
      if (tokenLimitMessage.test(formatted.message)) {
        return { message: config.production ? 'the operation is too large' : formatted.message, extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'tokens' } };
      }
      return formatError(formatted, error);
    },
  });
  await apollo.start();
  // The caller's checks run once per request, whether the response cache answers it before Apollo or
  // Apollo's context asks: a refused request is refused (and counted) once, and pays its rate limit once.
  const admitted = new WeakMap<IncomingMessage, Promise<GatewayContext>>();
  const admit = (request: IncomingMessage): Promise<GatewayContext> => {
    let checks = admitted.get(request);
    if (!checks) {
      checks = (async () => {
        try {
          // The address pays before the token is verified, so a flood of invalid tokens is limited too.
          await limits.admitAddress(clientAddress(request));
          const identity = await security.identify(request.headers.authorization);
          await limits.admitTenant(identity.tenantId);
          return { identity };
        } catch (error) {
          if (error instanceof AppError && error.code === 'RATE_LIMITED') telemetry.rateLimited();
          throw error;
        }
      })();
      admitted.set(request, checks);
    }
    return checks;
  };
  const server = createGraphQLHttpServer<GatewayContext>({
    apollo,
    logger,
    maxBodyBytes: config.maxBodyBytes,
    // No /metrics here: this port is public, and the counts describe the whole process.
    // A context of its own per request: the data sources record the subgraphs' reuse bounds in it.
    context: async (request) => ({ identity: (await admit(request)).identity, httpRequest: request }),
    answerEarly: responseCache ? answerFromCache({ cache: responseCache, admit, onServed: telemetry.servedFromCache }) : undefined,
    ready,
    // The dashboard (web/dist) and its sign-in endpoints share the public port with /graphql.
    handleOther: createWebHandler({
      root: config.web.root,
      developmentKeys: config.web.devTokens ? security.developmentKeys : null,
      oidc: { issuer: config.auth.issuer, clientId: config.web.oidcClientId, scope: config.web.oidcScope, audience: config.auth.audience },
      admit: (request) => limits.admitAddress(clientAddress(request)),
    }),
  });
  routeOtlpMetrics(server, {
    identify: security.identify,
    signInternalToken: security.signFor('metrics'),
    admitAddress: (request) => limits.admitAddress(clientAddress(request)),
    admit: (identity) => limits.admitTenant(identity.tenantId),
    metricsUrl: () => subgraphUrls.get('metrics'),
    logger,
  });
  const subscriptions = await startSubscriptions({ config, httpServer: server, apollo, apiSchema, declarations: readStreamDeclarations(supergraphSdl), subgraphUrls, security, guard, limits, logger,
    onDelivered: (entry) => {
      const committedAt = new Date(entry.occurredAt);
      telemetry.delivered(committedAt);
      telemetry.stageReached('sent', committedAt.getTime());
    },
    onStage: (stage, entry) => telemetry.stageReached(stage, Date.parse(entry.occurredAt)),
  });
  telemetry.observeSubscriptions(subscriptions);
  const stopInvalidation = responseCache ? invalidateOnEvents({ tails: subscriptions.tails.values(), cache: responseCache, retryMs: config.events.pollIntervalMs, logger }) : () => {};
  const stats = () => ({
    admission: admission.stats(),
    webSocketConnections: subscriptions.webSocket.connections(),
    ...subscriptions.engine.stats(),
    eventSignals: subscriptions.signals?.kind ?? 'polling',
    eventSignalsConnected: subscriptions.signals?.connected ?? false,
    rateLimiter: limits.kind,
    responseCache: responseCache?.stats() ?? null,
    subgraphFetches: dedup?.stats() ?? null,
    subgraphCircuits: Object.fromEntries([...breakers].map(([name, breaker]) => [name, breaker.stats()])),
    memory: process.memoryUsage(),
    cpu: process.cpuUsage(),
  });
  // GraphQL over Server-Sent Events shares the path: requests asking for an event stream go to it,
  // everything else to Apollo (server-kit owns the one request listener, so it is wrapped here).
  // Admission control covers the GraphQL endpoint only: /health, /ready, the dashboard, sign-in and
  // OTLP ingest (its own budgets) are never refused, nor are subscriptions, which are long-lived and
  // limited per connection, address and tenant (graphql-ws, SSE) instead of by a slot each.
  const [serveHttp] = server.listeners('request') as ((request: IncomingMessage, response: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (wantsEventStream(request, '/graphql')) void subscriptions.serverSentEvents(request, response);
    else if (isGraphQLPath(request)) admission.handle(request, response, () => serveHttp?.call(server, request, response));
    else serveHttp?.call(server, request, response);
  });
  const running = await listen(server, config.port, config.host);
  const metricsServer = await telemetry.listen();
  logger.info(
    { url: running.url, metrics: metricsServer.url, eventSignals: subscriptions.signals?.kind ?? 'polling', identity: security.development ? 'development key (npm run token)' : 'configured issuer' },
    'gateway listening (HTTP and graphql-ws)',
  );
  return {
    url: running.url,
    port: running.port,
    metricsUrl: metricsServer.url,
    subscriptions,
    stats,
    stop: async () => {
      stopInvalidation();
      await subscriptions.stop();
      await responseCache?.close();
      await running.close();
      await metricsServer.close();
      await apollo.stop();
      await subgraphFetch.close();
      await limits.close();
    },
  };
}
