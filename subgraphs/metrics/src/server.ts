import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import type { IncomingMessage } from 'node:http';
import { createInternalTokenVerifier, ensureDevelopmentKeys, internalTokenHeader, memoizeTokenVerifier, type InternalPrincipal } from '@novacron/auth';
import { createSql } from '@novacron/db';
import { AppError, createErrorFormatter } from '@novacron/errors';
import { createProviderRegistry, type ProviderRegistry } from '@novacron/providers';
import { createGraphQLHttpServer, createLogger, listen, type Logger } from '@novacron/server-kit';
import type { MetricsConfig } from './config.ts';
import type { MetricsServices, RequestContext } from './context.ts';
import { migrateMetrics } from './db/migrateMetrics.ts';
import { collectSamples } from './domain/collectSamples.ts';
import { recordRefusals } from './domain/ingestSamples.ts';
import { maintainPartitions } from './domain/retention.ts';
import { rollUpPending } from './domain/rollUpPending.ts';
import { startBackgroundJobs } from './domain/startBackgroundJobs.ts';
import { handleOtlpRequest } from './otlp/handleOtlpRequest.ts';
import { resolvers } from './resolvers/index.ts';

/** A running metrics subgraph. */
export interface RunningMetricsSubgraph {
  url: string;
  port: number;
  services: MetricsServices;
  stop(): Promise<void>;
}

/** The subgraph's SDL, loaded relative to this module. */
export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

function unauthenticated(message: string): AppError {
  return new AppError('UNAUTHENTICATED', message);
}

/** Options for tests: a pinned clock, another provider registry. */
export interface StartOptions {
  now?: () => Date;
  providers?: ProviderRegistry;
  /** Run the collector, rollups and partition maintenance in the background (default true). */
  background?: boolean;
}

/** Migrates, prepares partitions, serves the metrics subgraph (GraphQL and OTLP) and runs its jobs. */
export async function start(config: MetricsConfig, logger: Logger = createLogger('metrics'), options: StartOptions = {}): Promise<RunningMetricsSubgraph> {
  const publicKeyPem = config.security.internalTokenPublicKeyPem ?? (config.production ? undefined : (await ensureDevelopmentKeys(config.security.keysDir)).internal.publicKeyPem);
  if (!publicKeyPem) throw new Error('production mode needs INTERNAL_TOKEN_PUBLIC_KEY(_FILE)');
  const verifyInternalToken = memoizeTokenVerifier(createInternalTokenVerifier({ publicKeyPem }));
  await migrateMetrics(config.databaseUrl);
  const sql = createSql(config.databaseUrl, { max: 20, applicationName: 'novacron-metrics' });
  const now = options.now ?? (() => new Date());
  await maintainPartitions(sql, now(), config.retention);
  const services: MetricsServices = { sql, config, now };
  const providers = options.providers ?? createProviderRegistry({ sql, latencyMs: { min: 0, max: 0 }, capacityPerRegion: 0, simulatedMetricsIntervalMs: config.collector.simulatedIntervalMs });
  const ingestOptions = () => ({ now: now(), retention: config.retention, maxFutureMs: config.maxFutureMs });

  const authenticate = async (request: IncomingMessage): Promise<InternalPrincipal> => {
    const header = request.headers[internalTokenHeader];
    const token = Array.isArray(header) ? header[0] : header;
    if (!token) throw unauthenticated('this subgraph accepts requests from the NovaCron gateway only');
    return verifyInternalToken(token).catch(() => {
      throw unauthenticated('invalid internal token');
    });
  };

  const apollo = new ApolloServer<RequestContext>({
    schema: buildSubgraphSchema({ typeDefs, resolvers: resolvers as never }),
    introspection: !config.production,
    includeStacktraceInErrorResponses: !config.production,
    formatError: createErrorFormatter({ production: config.production, onMasked: (error) => logger.error({ err: error }, 'unexpected error in a resolver') }),
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled()],
  });
  await apollo.start();
  const graphql = createGraphQLHttpServer<RequestContext>({
    apollo,
    logger,
    context: async (request) => {
      const principal = await authenticate(request);
      return { principal, tenantId: principal.kind === 'user' ? principal.identity.tenantId : '', services };
    },
    ready: async () => {
      await sql`select 1`;
      return true;
    },
  });
  const otlp = { sql, logger, maxBodyBytes: config.otlpMaxBodyBytes, authenticate, ingestOptions };
  const server = createServer((request, response) => {
    if (new URL(request.url ?? '/', 'http://localhost').pathname === '/v1/metrics') void handleOtlpRequest(otlp, request, response);
    else graphql.emit('request', request, response);
  });
  const running = await listen(server, config.port, config.host);
  logger.info({ url: running.url }, 'metrics subgraph listening');

  let lastCollectedAt = new Date(now().getTime() - config.collector.intervalMs);
  const jobs =
    options.background === false
      ? null
      : startBackgroundJobs(
          [
            {
              name: 'collect',
              intervalMs: config.collector.intervalMs,
              run: async () => {
                const to = now();
                const result = await collectSamples(sql, providers, { from: lastCollectedAt, to }, ingestOptions());
                lastCollectedAt = to;
                for (const failed of result.failedProviders) logger.warn({ err: failed.error, provider: failed.provider }, 'metrics collection failed for a provider');
                await recordRefusals(sql, '', 'collector', result, to);
              },
            },
            { name: 'rollup', intervalMs: config.rollupIntervalMs, run: async () => void (await rollUpPending(sql)) },
            { name: 'partitions', intervalMs: config.maintenanceIntervalMs, run: async () => void (await maintainPartitions(sql, now(), config.retention)) },
          ],
          logger,
        );

  return {
    url: running.url,
    port: running.port,
    services,
    stop: async () => {
      await jobs?.stop();
      await running.close();
      await apollo.stop();
      await sql.end({ timeout: 5 });
    },
  };
}
