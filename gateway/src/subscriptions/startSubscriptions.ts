import type { Server } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import { AppError } from '@novacron/errors';
import type { GatewayContext } from '../GatewayContext.ts';
import type { OperationGuard } from '../security/createOperationGuard.ts';
import type { RequestLimits } from '../security/createRequestLimits.ts';
import type { GatewaySecurity } from '../security/loadGatewaySecurity.ts';
import { Supergraph } from '@apollo/federation-internals';
import { internalTokenHeader, type Identity } from '@novacron/auth';
import { createEventSignalSource, createFeedFetcher, type EventSignalSource, type FeedEntry, type FeedFetcher } from '@novacron/events';
import type { Logger } from '@novacron/server-kit';
import { GraphQLError, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { GatewayConfig } from '../config.ts';
import { createStreamTail, type StreamTail } from './createStreamTail.ts';
import { createSubscriptionEngine, type SubscriptionEngine } from './createSubscriptionEngine.ts';
import { createServerSentEvents, type ServerSentEventsHandler } from './createServerSentEvents.ts';
import { createWebSocketServer, type RunningWebSocketServer } from './createWebSocketServer.ts';
import { printOnce } from './printOnce.ts';
import type { StreamDeclaration, SubscriberScope } from './readStreamDeclarations.ts';

/** The running real-time side of the gateway. */
export interface RunningSubscriptions {
  engine: SubscriptionEngine;
  webSocket: RunningWebSocketServer;
  /** Serves subscriptions as GraphQL over Server-Sent Events (requests with `Accept: text/event-stream`). */
  serverSentEvents: ServerSentEventsHandler;
  signals: EventSignalSource | null;
  /** One tail per event stream (`vms.vm`, …), for other followers than subscribers (the response cache). */
  tails: ReadonlyMap<string, StreamTail>;
  stop(): Promise<void>;
}

function cachedToken(mint: () => Promise<string>, maxAgeMs: number): () => Promise<string> {
  let cached: { token: Promise<string>; at: number } | null = null;
  return () => {
    if (!cached || Date.now() - cached.at > maxAgeMs) cached = { token: mint(), at: Date.now() };
    return cached.token;
  };
}

/** Builds the client-facing schema from the supergraph: what subscriptions are validated against. */
export function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();
}

/**
 * Wires subscriptions into the gateway: a tail per event stream (woken by Redis or LISTEN/NOTIFY
 * signals, and by a poll timer), the engine, and graphql-ws on the gateway's HTTP server.
 */
export async function startSubscriptions(options: {
  config: GatewayConfig;
  httpServer: Server;
  apollo: ApolloServer<GatewayContext>;
  apiSchema: GraphQLSchema;
  /** Which subscription field reads which stream (the supergraph's `@eventStream` declarations). */
  declarations: ReadonlyMap<string, StreamDeclaration>;
  subgraphUrls: ReadonlyMap<string, string>;
  security: GatewaySecurity;
  guard: OperationGuard;
  /** The same per-address and per-tenant budgets HTTP requests pay. */
  limits: RequestLimits;
  logger: Logger;
  /** Called after each delivery to a subscriber (metrics). */
  onDelivered?: (entry: FeedEntry) => void;
  /** Called when a feed page reaches a tail, and when an event's payload resolves for a group (the stage lag metric). */
  onStage?: (stage: 'read' | 'payload', entry: FeedEntry) => void;
}): Promise<RunningSubscriptions> {
  const { config, logger, security, onStage } = options;
  const schema = options.apiSchema;
  // The feed is internal: the gateway reads it as itself, with a short-lived system token per subgraph.
  const feeds = new Map<string, FeedFetcher>();
  const tails = new Map<string, StreamTail>();
  for (const declaration of options.declarations.values()) {
    const { subgraph, stream } = declaration;
    const url = options.subgraphUrls.get(subgraph);
    if (!url) throw new Error(`subgraph ${subgraph} has no URL for its event feed`);
    if (!feeds.has(subgraph)) {
      const systemToken = cachedToken(() => security.signFor(subgraph)({ system: true, subject: 'gateway/event-feed' }), 30_000);
      feeds.set(subgraph, createFeedFetcher(subgraph, url, async () => ({ [internalTokenHeader]: await systemToken() })));
    }
    const name = `${subgraph}.${stream}`;
    if (!tails.has(name)) tails.set(name, createStreamTail({ stream, name, fetchFeed: feeds.get(subgraph) as FeedFetcher, pollIntervalMs: config.events.pollIntervalMs, logger, onRead: onStage && ((entries) => { for (const entry of entries) onStage('read', entry); }) }));
  }

  const execute = async (document: DocumentNode, variables: Record<string, unknown>, operationName: string | undefined, scope: SubscriberScope, subscriptionPayload = false): Promise<ExecutionResult> => {
    // Under the subscriber's identity, exactly as an HTTP request of theirs would run.
    const contextValue = subscriptionPayload ? { identity: scope.identity, subscriptionPayload: true as const } : { identity: scope.identity };
    const response = await options.apollo.executeOperation({ query: printOnce(document), variables, operationName }, { contextValue });
    if (response.body.kind !== 'single') throw new Error('incremental delivery is not supported over WebSocket');
    const { errors, ...rest } = response.body.singleResult;
    // Apollo hands back formatted errors (plain objects); graphql-ws serializes GraphQLErrors.
    return errors ? { ...rest, errors: errors.map((error) => new GraphQLError(error.message, { path: error.path, extensions: error.extensions })) } : (rest as ExecutionResult);
  };
  const engine = createSubscriptionEngine({
    schema,
    declarations: options.declarations,
    tails,
    feeds,
    logger,
    queueLimit: config.webSocket.queueLimit,
    replayLimit: config.webSocket.replayLimit,
    executePayload: (document, variables, scope) => execute(document, variables, undefined, scope, true),
    onDelivered: options.onDelivered,
    onPayloadResolved: onStage && ((entry) => onStage('payload', entry)),
  });

  let signals: EventSignalSource | null = null;
  if (config.events.redisUrl || config.events.databaseUrl) {
    signals = createEventSignalSource({
      redisUrl: config.events.redisUrl,
      redisPrefix: config.events.redisPrefix,
      databaseUrl: config.events.databaseUrl,
      onSignal: (stream) => tails.get(stream)?.wake(),
      onConnectionChange: (connected) => {
        logger.info({ connected, via: signals?.kind }, connected ? 'event signals connected' : 'event signals lost; polling until they return');
        // Whatever was signalled during an outage is read now.
        if (connected) for (const tail of tails.values()) tail.wake();
      },
    });
    // Redis down at start is an outage like any other: the tails poll until signals connect.
    await signals.ready.catch((error: unknown) => logger.warn({ err: error }, 'event signals unavailable; polling'));
    if (!signals.connected) logger.warn({ via: signals.kind }, 'event signals not connected yet; polling until they are');
  } else {
    logger.warn('neither REDIS_URL nor DATABASE_URL is set: subscriptions rely on polling alone');
  }

  // The verifier answers the same identity for the same token until it expires: its connections share
  // one scope (and scope key string) instead of one each.
  const scopes = new WeakMap<Identity, SubscriberScope>();
  const authenticate = async (authorization: unknown): Promise<SubscriberScope | null> => {
    try {
      const identity = await security.identify(typeof authorization === 'string' ? authorization : undefined);
      let scope = scopes.get(identity);
      if (!scope) {
        scope = { tenantId: identity.tenantId, identity, scopeKey: `${identity.tenantId}|${[...identity.roles].sort().join(',')}` };
        scopes.set(identity, scope);
      }
      return scope;
    } catch (error) {
      if (!(error instanceof AppError)) logger.warn({ err: error }, 'subscription authentication failed unexpectedly');
      return null;
    }
  };
  const webSocket = createWebSocketServer({
    httpServer: options.httpServer,
    path: '/graphql',
    schema,
    engine,
    guard: options.guard,
    admitAddress: options.limits.admitAddress,
    admitTenant: options.limits.admitTenant,
    executeOperation: execute,
    authenticate: (connectionParams) =>
      authenticate(connectionParams?.authorization ?? connectionParams?.Authorization ?? (connectionParams?.token ? `Bearer ${String(connectionParams.token)}` : undefined)),
    limits: config.webSocket,
    logger,
    production: config.production,
  });

  const serverSentEvents = createServerSentEvents({
    schema,
    engine,
    guard: options.guard,
    authenticate,
    admitAddress: options.limits.admitAddress,
    admitTenant: options.limits.admitTenant,
    maxBufferedBytes: config.webSocket.maxBufferedBytes,
    maxBodyBytes: config.maxBodyBytes,
    logger,
  });

  return {
    engine,
    webSocket,
    serverSentEvents,
    signals,
    tails,
    stop: async () => {
      await webSocket.close();
      engine.close();
      for (const tail of tails.values()) tail.close();
      await signals?.close();
    },
  };
}
