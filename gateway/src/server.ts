import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { createErrorFormatter } from '@novacron/errors';
import { createGraphQLHttpServer, createLogger, listen, type Logger } from '@novacron/server-kit';
import type { GatewayConfig } from './config.ts';
import { startSubscriptions, type RunningSubscriptions } from './subscriptions/startSubscriptions.ts';

/** A running gateway. */
export interface RunningGateway {
  url: string;
  port: number;
  subscriptions: RunningSubscriptions;
  stop(): Promise<void>;
}

/**
 * Serves the committed supergraph through @apollo/gateway (no introspection of subgraphs at boot).
 * Subgraph URLs come from the supergraph unless overridden in the config.
 */
export async function start(config: GatewayConfig, logger: Logger = createLogger('gateway')): Promise<RunningGateway> {
  const subgraphUrls = new Map<string, string>();
  const supergraphSdl = readFileSync(config.supergraphPath, 'utf8');
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) => {
      const resolved = config.subgraphUrls[name] ?? url;
      if (!resolved) throw new Error(`subgraph ${name} has no URL`);
      subgraphUrls.set(name, resolved);
      return new RemoteGraphQLDataSource({ url: resolved, fetcher: fetch as never });
    },
    logger,
  });
  const apollo = new ApolloServer({
    gateway,
    introspection: !config.production,
    includeStacktraceInErrorResponses: !config.production,
    formatError: createErrorFormatter({
      production: config.production,
      onMasked: (error) => logger.error({ err: error }, 'unexpected error while executing a request'),
    }),
  });
  await apollo.start();
  let metrics: () => unknown = () => ({});
  const server = createGraphQLHttpServer({
    apollo,
    logger,
    maxBodyBytes: config.maxBodyBytes,
    // Counts only (no identities): subscription engine, connections, memory and CPU of this process.
    jsonRoutes: { '/metrics': () => metrics() },
    context: async () => ({}),
    ready: async () => {
      const checks = [...subgraphUrls.values()].map(async (url) => {
        const response = await fetch(new URL('/ready', url), { signal: AbortSignal.timeout(2_000) });
        return response.ok;
      });
      return (await Promise.all(checks)).every(Boolean);
    },
  });
  const subscriptions = await startSubscriptions({ config, httpServer: server, apollo, supergraphSdl, subgraphUrls, logger });
  metrics = () => ({
    webSocketConnections: subscriptions.webSocket.connections(),
    ...subscriptions.engine.stats(),
    eventSignals: subscriptions.signals?.kind ?? 'polling',
    memory: process.memoryUsage(),
    cpu: process.cpuUsage(),
  });
  const running = await listen(server, config.port, config.host);
  logger.info({ url: running.url, eventSignals: subscriptions.signals?.kind ?? 'polling' }, 'gateway listening (HTTP and graphql-ws)');
  return {
    url: running.url,
    port: running.port,
    subscriptions,
    stop: async () => {
      await subscriptions.stop();
      await running.close();
      await apollo.stop();
    },
  };
}
