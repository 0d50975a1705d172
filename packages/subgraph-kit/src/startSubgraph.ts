/**
 * Serves a subgraph: migrates its schema, builds its federated schema with the kit's part merged in,
 * and serves it on Apollo Server behind the internal-token check, with /health, /ready, the event
 * feed of its streams, event-signal relaying, pruning, background tasks and a graceful stop.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { concatAST, parse, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { internalTokenHeader, type InternalPrincipal } from '@novacron/auth';
import { createSql, isTransientDatabaseError, migrate, type Sql } from '@novacron/db';
import { createErrorFormatter, requestError, type AppError } from '@novacron/errors';
import { eventFeedQuery, startEventRelay, type EventRelay } from '@novacron/events';
import { inspectInputs } from '@novacron/guards';
import { createGraphQLHttpServer, createLogger, formatResponseMaxAge, listen, postedRequest, responseMaxAgeHeader, type EarlyAnswer, type Logger, type PostedRequest, type Stoppable } from '@novacron/server-kit';
import { createHealthScore, createMetrics, startMetricsServer, useRequestMetrics, type Metrics } from '@novacron/telemetry';
import { createSubgraphClient, type SubgraphClient } from './createSubgraphClient.ts';
import { lowerBackends, lowerThisProcess } from './givePriorityAway.ts';
import { loadSubgraphSecurity, type SubgraphSecurity } from './loadSubgraphSecurity.ts';
import type { Outbox } from './outbox/createOutbox.ts';
import { answerEventFeed } from './outbox/answerEventFeed.ts';
import { coalesceFeedReads } from './outbox/coalesceFeedReads.ts';
import { eventFeedResolver } from './outbox/eventFeedResolver.ts';
import { JSON as JSONScalar } from './scalars.ts';
import type { SubgraphConfig } from './SubgraphConfig.ts';
import { kitTypeDefsPath } from './subgraphManifest.ts';

/** The kit's part of every subgraph's schema. */
export const kitTypeDefs: DocumentNode = parse(readFileSync(kitTypeDefsPath, 'utf8'));

/** Loads a subgraph's SDL file, relative to the calling module (`new URL('./schema.graphql', import.meta.url)`). */
export function loadTypeDefs(url: URL): DocumentNode {
  return parse(readFileSync(fileURLToPath(url), 'utf8'));
}

/** What the kit hands a subgraph's service factory and background tasks. */
export interface KitServices {
  config: SubgraphConfig;
  logger: Logger;
  /** The subgraph's pool (postgres.js). */
  sql: Sql;
  /**
   * The pool for background work (stream followers, collection, rollups), apart from the one that
   * answers requests: `application_name` `novacron-<name>-background` ({@link backgroundApplicationName}),
   * at most 4 connections, its backends at `BACKGROUND_NICE` when Postgres is on this machine. Connects
   * only when used.
   */
  backgroundSql: Sql;
  security: SubgraphSecurity;
  /** Calls to other subgraphs and reads of their event feeds. */
  subgraphs: SubgraphClient;
  /** The subgraph's Prometheus registry (served on `config.metricsPort`): register its own gauges here. */
  metrics: Metrics;
}

/** The verified caller of one request. */
export interface RequestPrincipal {
  principal: InternalPrincipal;
  /** The caller's tenant: every read and write is scoped to it ('' for NovaCron's own system calls). */
  tenantId: string;
}

/** Options for {@link startSubgraph}. */
export interface StartSubgraphOptions<TServices, TContext> {
  config: SubgraphConfig;
  /** The subgraph's own SDL; the kit's part is merged in. */
  typeDefs: DocumentNode;
  resolvers: object;
  logger?: Logger;
  /** The committed drizzle migrations (journal in `drizzle.<name>_migrations`). */
  migrationsFolder?: URL;
  /** Anything else to bring up to date before serving (another library's own migrations). */
  migrate?(databaseUrl: string): Promise<void>;
  /** Long-lived services, built once after migration. */
  services(kit: KitServices): TServices | Promise<TServices>;
  /** The per-request context resolvers receive. */
  context(request: RequestPrincipal, services: TServices): TContext;
  /** The subgraph's event streams, served by `_eventFeed`, pruned by the kit (and relayed to Redis). */
  outbox?: { outbox: Outbox; db: (services: TServices) => PostgresJsDatabase<Record<string, unknown>>; prune?: boolean };
  /** Tasks running beside the server (stream followers, collectors); stopped before the server. */
  background?(kit: KitServices, services: TServices): Promise<Stoppable[]> | Stoppable[];
  /** Extra readiness beyond the database answering. */
  ready?(services: TServices): Promise<boolean>;
  /** Largest accepted request body; default 1 MB. */
  maxBodyBytes?: number;
  /** A response cache answered before Apollo Server parses a request (see {@link EarlyResponses}). */
  earlyResponses?(services: TServices): EarlyResponses<TContext> | null;
  /**
   * How long (ms) the answer to this request may be served again by a cache in front of the subgraph
   * (the gateway's response cache), sent as `x-novacron-max-age-ms`; undefined sends nothing, which
   * leaves the answer to the gateway's invalidation by the tenant's events and mutations alone. For
   * answers that also change without any event of the asking tenant.
   */
  responseMaxAgeMs?(context: TContext): number | undefined;
  /** Extra HTTP endpoints beside GraphQL (metrics' OTLP `/v1/metrics`); each checks its own caller. */
  routes?(services: TServices): Record<string, (request: IncomingMessage, response: ServerResponse) => Promise<void>>;
}

/**
 * A subgraph's response cache, served before Apollo Server parses, validates and executes (Apollo's own
 * per-request cost was above the placement benchmark's goal). `lookup` runs after the internal token is
 * verified, so only a verified caller reaches it; `store` sees every query Apollo answered without
 * errors and decides itself what may be served again, to whom and for how long.
 */
export interface EarlyResponses<TContext> {
  /** The response body (or body and headers) to send for this request of this caller, or null to let Apollo serve it. */
  lookup(caller: RequestPrincipal, request: PostedRequest): EarlyAnswer | string | null;
  /** Offers what Apollo answered (the serialized body) for a query without errors. */
  store(context: TContext, operation: OperationDefinitionNode, request: PostedRequest, body: string): void;
}

/** A running subgraph. */
export interface RunningSubgraph<TServices> {
  url: string;
  port: number;
  /** The Prometheus `/metrics` endpoint, on its own port. */
  metricsUrl: string;
  services: TServices;
  kit: KitServices;
  stop(): Promise<void>;
}

/**
 * Defence in depth behind the gateway's own checks: strings with NUL characters (which PostgreSQL
 * cannot store) and oversized variables are refused before any resolver runs.
 */
function useInputInspection(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request }) {
          const error = inspectInputs(document, request.variables, { maxVariableNodes: 10_000, revealThresholds: false });
          if (error) throw error;
        },
      };
    },
  };
}

/** Offers each error-free query result to the subgraph's early responses. */
function useEarlyResponseStore<TContext extends object>(responses: EarlyResponses<TContext>): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, operation, request, response }) {
          if (operation?.operation !== 'query' || response.body.kind !== 'single' || response.body.singleResult.errors) return;
          const posted = postedRequest(request);
          if (posted) responses.store(contextValue, operation, posted, JSON.stringify(response.body.singleResult));
        },
      };
    },
  };
}

/** Sends each answer's reuse bound ({@link StartSubgraphOptions.responseMaxAgeMs}) in `x-novacron-max-age-ms`. */
function useResponseMaxAge<TContext extends object>(maxAgeMs: (context: TContext) => number | undefined): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response }) {
          const ms = maxAgeMs(contextValue);
          if (ms !== undefined) response.http.headers.set(responseMaxAgeHeader, formatResponseMaxAge(ms));
        },
      };
    },
  };
}

/** Migrates the database and serves the subgraph over HTTP. */
export async function startSubgraph<TServices, TContext extends object>(options: StartSubgraphOptions<TServices, TContext>): Promise<RunningSubgraph<TServices>> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.name);
  // A background process gives way to requests as a whole, its start included, not only its backends
  // (docs/architecture.md, "Background processes").
  if (config.role === 'background' && config.backgroundNice > 0) await lowerThisProcess(logger, { nice: config.backgroundNice, setting: 'BACKGROUND_NICE', cgroup: config.backgroundCgroup });
  const security = await loadSubgraphSecurity(config);
  if (options.migrationsFolder) await migrate(config.databaseUrl, { migrationsFolder: fileURLToPath(options.migrationsFolder), schema: config.name });
  await options.migrate?.(config.databaseUrl);
  // A background process's every backend does background work: both pools carry the background name, so
  // they are lowered together and never mistaken for the request processes' backends.
  const background = config.role === 'background';
  const sql = createSql(config.databaseUrl, { max: background ? 4 : 20, applicationName: background ? backgroundApplicationName(config.name) : `novacron-${config.name}` });
  const backgroundSql = createSql(config.databaseUrl, { max: 4, applicationName: backgroundApplicationName(config.name) });
  const metrics = createMetrics({ service: config.name });
  const kit: KitServices = { config, logger, sql, backgroundSql, security, subgraphs: createSubgraphClient(config.subgraphUrls, security), metrics };
  const stack: (() => Promise<void>)[] = [() => sql.end({ timeout: 5 }), () => backgroundSql.end({ timeout: 5 })];
  const stopAll = async () => {
    for (const stop of stack.reverse()) await stop().catch((error: unknown) => logger.warn({ err: error }, 'stopping a part of the subgraph failed'));
    stack.length = 0;
  };
  try {
    const services = await options.services(kit);
    const feedDb = options.outbox ? options.outbox.db(services) : drizzle(sql);
    const own = options.resolvers as { Query?: object; JSON?: typeof JSONScalar };
    // The kit's fields beside the subgraph's own.
    // Identical concurrent feed reads share a statement, whether Apollo or the early answer serves them.
    const feedReads = options.outbox ? coalesceFeedReads(options.outbox.outbox, feedDb) : undefined;
    const answerFeed = feedReads ? answerEventFeed(feedReads) : null;
    const resolvers = { ...own, JSON: own.JSON ?? JSONScalar, Query: { ...own.Query, _eventFeed: eventFeedResolver(options.outbox?.outbox ?? null, feedDb, feedReads) } };
    const ready = async () => {
      await sql`select 1`;
      return options.ready ? options.ready(services) : true;
    };
    // Request duration and errors; the health score reads readiness and the server-side error ratio.
    const requestMetrics = useRequestMetrics({ metrics, health: createHealthScore({ metrics, component: config.name, ready }) });
    const earlyResponses = options.earlyResponses?.(services) ?? null;
    const apollo = new ApolloServer<TContext>({
      schema: buildSubgraphSchema({ typeDefs: concatAST([options.typeDefs, kitTypeDefs]), resolvers: resolvers as GraphQLResolverMap<unknown> }),
      introspection: !config.production,
      includeStacktraceInErrorResponses: !config.production,
      formatError: createErrorFormatter({
        production: config.production,
        onMasked: (error) => logger.error({ err: error }, 'unexpected error in a resolver'),
        // A database that is restarting or unreachable is a condition to retry, not a bug.
        classify: (error) => (isTransientDatabaseError(error) ? { code: 'UNAVAILABLE', message: `the ${config.name} database is unavailable; retry shortly` } : undefined),
      }),
      // Cache control off: no subgraph sets cache hints, and its per-field hook made Apollo wrap every
      // resolver (among the hottest functions of the metrics bench's `VM.metrics` profile, and about a
      // tenth of the placement subgraph's CPU in its benchmark).
      plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginCacheControlDisabled(), useInputInspection(), requestMetrics, ...(earlyResponses ? [useEarlyResponseStore(earlyResponses)] : []), ...(options.responseMaxAgeMs ? [useResponseMaxAge(options.responseMaxAgeMs)] : [])],
    });
    await apollo.start();
    stack.push(() => apollo.stop());
    const server = createGraphQLHttpServer<TContext>({
      apollo,
      logger,
      maxBodyBytes: options.maxBodyBytes,
      routes: options.routes?.(services),
      // A subgraph trusts only NovaCron: every request, `_service` and `_entities` included, must carry
      // an internal token addressed to this subgraph; there is no other way in.
      context: async (request) => options.context(await verifyCaller(security, request), services),
      // The same check first (verified tokens are memoized); a refused caller falls through to Apollo, which
      // refuses it with its code. Feed reads are answered without graphql-js (see answerEventFeed).
      answerEarly:
        earlyResponses || answerFeed
          ? async (request, body) => {
              const posted = postedRequest(body);
              if (!posted) return null;
              const feedRead = answerFeed !== null && posted.query === eventFeedQuery;
              // Nothing else to answer early here (a subgraph without early responses: a mutation, a query):
              // straight to Apollo, without verifying the token twice.
              if (!feedRead && !earlyResponses) return null;
              const caller = await verifyCaller(security, request).catch(() => null);
              if (!caller) return null;
              if (feedRead) return answerFeed(caller.principal, posted);
              return earlyResponses ? earlyResponses.lookup(caller, posted) : null;
            }
          : undefined,
      ready,
    });
    // The subgraph's port is its request process's; a background process answers (health, ready) on any free one.
    const running = await listen(server, background ? 0 : config.port, config.host);
    stack.push(() => running.close());
    const metricsServer = await startMetricsServer({ metrics, port: config.metricsPort, host: config.host });
    stack.push(() => metricsServer.close());
    logger.info({ url: running.url, metrics: metricsServer.url }, `${config.name} subgraph listening`);
    // The event relay and the pruning belong to the processes that answer requests (one of each per replica).
    if (options.outbox && config.events.redisUrl && !background) {
      const relay: EventRelay = startEventRelay({
        databaseUrl: config.databaseUrl,
        redisUrl: config.events.redisUrl,
        redisPrefix: config.events.redisPrefix,
        relays: (stream) => stream.startsWith(`${options.outbox?.outbox.schema}.`),
        onError: (error) => logger.warn({ err: error }, 'event relay cannot reach Redis; gateways fall back to polling'),
        onRecovered: () => logger.info('event relay reaches Redis again'),
      });
      stack.push(() => relay.close());
      await relay.ready;
      logger.info('relaying event signals to Redis');
    }
    if (options.outbox && options.outbox.prune !== false && !background) {
      const { outbox } = options.outbox;
      const timer = setInterval(() => {
        outbox.prune(feedDb, config.events.retentionSeconds).then(
          (pruned) => {
            if (Object.values(pruned).some((count) => count > 0)) logger.info({ pruned }, 'pruned events past retention');
          },
          (error: unknown) => logger.warn({ err: error }, 'pruning events failed; will retry'),
        );
      }, config.events.pruneIntervalMs);
      timer.unref();
      stack.push(async () => clearInterval(timer));
    }
    const runsBackground = options.background !== undefined && config.role !== 'requests';
    if (runsBackground) for (const task of (await options.background?.(kit, services)) ?? []) stack.push(() => task.stop());
    if (runsBackground && config.backgroundNice > 0) {
      const priority = lowerBackends(logger, { sql: backgroundSql, applicationNames: [backgroundApplicationName(config.name)], nice: config.backgroundNice, cgroup: config.backgroundCgroup, whose: "the background pool's" });
      stack.push(async () => priority.stop());
    }
    return { url: running.url, port: running.port, metricsUrl: metricsServer.url, services, kit, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The caller of a request, from its internal token addressed to this subgraph; throws UNAUTHENTICATED. */
async function verifyCaller(security: SubgraphSecurity, request: IncomingMessage): Promise<RequestPrincipal> {
  const header = request.headers[internalTokenHeader];
  const token = Array.isArray(header) ? header[0] : header;
  if (!token) throw unauthenticated('this subgraph accepts requests from the NovaCron gateway only');
  const principal = await security.verifyInternalToken(token).catch(() => {
    throw unauthenticated('invalid internal token');
  });
  return { principal, tenantId: principal.kind === 'user' ? principal.identity.tenantId : '' };
}

/** Refused before any resolver runs, with the registry's HTTP status. */
function unauthenticated(message: string): AppError {
  return requestError('UNAUTHENTICATED', message);
}

/** `application_name` of a subgraph's background pool ({@link KitServices.backgroundSql}). */
export function backgroundApplicationName(subgraph: string): string {
  return `novacron-${subgraph}-background`;
}
