import type { Server } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import { Supergraph } from '@apollo/federation-internals';
import { createEventSignalSource, type EventSignalSource } from '@novacron/events';
import type { Logger } from '@novacron/server-kit';
import type { DocumentNode, ExecutionResult, GraphQLSchema } from 'graphql';
import type { GatewayConfig } from '../config.ts';
import { createFeedFetcher, type FeedFetcher } from './fetchEventFeed.ts';
import { createStreamTail, type StreamTail } from './createStreamTail.ts';
import { createSubscriptionEngine, type SubscriptionEngine } from './createSubscriptionEngine.ts';
import { createWebSocketServer, type RunningWebSocketServer } from './createWebSocketServer.ts';
import { subscriptionSources, type SubscriberScope } from './subscriptionSources.ts';

/** The running real-time side of the gateway. */
export interface RunningSubscriptions {
  engine: SubscriptionEngine;
  webSocket: RunningWebSocketServer;
  signals: EventSignalSource | null;
  stop(): Promise<void>;
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
  apollo: ApolloServer;
  supergraphSdl: string;
  subgraphUrls: ReadonlyMap<string, string>;
  logger: Logger;
}): Promise<RunningSubscriptions> {
  const { config, logger } = options;
  const schema = apiSchemaOf(options.supergraphSdl);
  const feeds = new Map<string, FeedFetcher>();
  const tails = new Map<string, StreamTail>();
  for (const source of subscriptionSources.values()) {
    const url = options.subgraphUrls.get(source.subgraph);
    if (!url) throw new Error(`subgraph ${source.subgraph} has no URL for its event feed`);
    const feed = feeds.get(source.subgraph) ?? createFeedFetcher(source.subgraph, url);
    feeds.set(source.subgraph, feed);
    const name = `${source.subgraph}.${source.stream}`;
    if (!tails.has(name)) tails.set(name, createStreamTail({ stream: source.stream, name, fetchFeed: feed, pollIntervalMs: config.events.pollIntervalMs, logger }));
  }

  const execute = async (document: DocumentNode, variables: Record<string, unknown>, operationName: string | undefined, _scope: SubscriberScope): Promise<ExecutionResult> => {
    const response = await options.apollo.executeOperation({ query: document, variables, operationName });
    if (response.body.kind !== 'single') throw new Error('incremental delivery is not supported over WebSocket');
    return response.body.singleResult as ExecutionResult;
  };
  const engine = createSubscriptionEngine({
    schema,
    tails,
    feeds,
    logger,
    queueLimit: config.webSocket.queueLimit,
    executePayload: (document, variables, scope) => execute(document, variables, undefined, scope),
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
    await signals.ready;
  } else {
    logger.warn('neither REDIS_URL nor DATABASE_URL is set: subscriptions rely on polling alone');
  }

  const webSocket = createWebSocketServer({
    httpServer: options.httpServer,
    path: '/graphql',
    schema,
    engine,
    executeOperation: execute,
    // Identity arrives with the security work; until then every caller is the default tenant.
    authenticate: async () => ({ tenantId: 'default' }),
    limits: config.webSocket,
    logger,
    production: config.production,
  });

  return {
    engine,
    webSocket,
    signals,
    stop: async () => {
      await webSocket.close();
      engine.close();
      for (const tail of tails.values()) tail.close();
      await signals?.close();
    },
  };
}
