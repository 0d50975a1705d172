import { readFileSync } from 'node:fs';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { createSql } from '@novacron/db';
import { internalTokenHeader } from '@novacron/auth';
import { AppError, createErrorFormatter } from '@novacron/errors';
import { startEventRelay, type EventRelay } from '@novacron/events';
import { inspectInputs } from '@novacron/guards';
import { createProviderRegistry } from '@novacron/providers';
import { createGraphQLHttpServer, createLogger, listen, type Logger } from '@novacron/server-kit';
import type { VmsConfig } from './config.ts';
import type { RequestContext, VmsServices } from './context.ts';
import { createDatabase } from './db/createDatabase.ts';
import { createCredentialsLoader } from './domain/loadProviderCredentials.ts';
import { migrateVms } from './db/migrateVms.ts';
import { createVmLoader } from './domain/createVmLoader.ts';
import { loadSecurity } from './loadSecurity.ts';
import { resolvers } from './resolvers/index.ts';

/** A running vms subgraph. */
export interface RunningVmsSubgraph {
  url: string;
  port: number;
  services: VmsServices;
  stop(): Promise<void>;
}

/** The subgraph's SDL, loaded relative to this module. */
export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

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

function unauthenticated(message: string): AppError {
  return new AppError('UNAUTHENTICATED', message, { http: { status: 401 } });
}

/** Migrates the database and serves the vms subgraph over HTTP. */
export async function start(config: VmsConfig, logger: Logger = createLogger('vms')): Promise<RunningVmsSubgraph> {
  const security = await loadSecurity(config);
  const sql = createSql(config.databaseUrl, { max: 20, applicationName: 'novacron-vms' });
  await migrateVms(config.databaseUrl);
  const db = createDatabase(sql);
  const services: VmsServices = {
    credentialKeys: security.credentialKeys,
    db,
    providers: createProviderRegistry({
      sql,
      latencyMs: config.simulated.latencyMs,
      capacityPerRegion: config.simulated.capacityPerRegion,
      emulated: config.clouds,
      loadCredentials: createCredentialsLoader(db, security.credentialKeys),
    }),
    config,
  };
  const apollo = new ApolloServer<RequestContext>({
    schema: buildSubgraphSchema({ typeDefs, resolvers: resolvers as never }),
    introspection: !config.production,
    includeStacktraceInErrorResponses: !config.production,
    formatError: createErrorFormatter({
      production: config.production,
      onMasked: (error) => logger.error({ err: error }, 'unexpected error in a resolver'),
    }),
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled(), useInputInspection()],
  });
  await apollo.start();
  const server = createGraphQLHttpServer<RequestContext>({
    apollo,
    logger,
    // The subgraph trusts only the gateway: every request, `_service` and `_entities` included, must
    // carry an internal token the gateway signed; there is no other way in.
    context: async (request) => {
      const header = request.headers[internalTokenHeader];
      const token = Array.isArray(header) ? header[0] : header;
      if (!token) throw unauthenticated('this subgraph accepts requests from the NovaCron gateway only');
      const principal = await security.verifyInternalToken(token).catch(() => {
        throw unauthenticated('invalid internal token');
      });
      const tenantId = principal.kind === 'user' ? principal.identity.tenantId : '';
      return { principal, tenantId, services, vmById: createVmLoader(services.db, tenantId) };
    },
    ready: async () => {
      await sql`select 1`;
      return true;
    },
  });
  const running = await listen(server, config.port, config.host);
  logger.info({ url: running.url }, 'vms subgraph listening');
  let relay: EventRelay | undefined;
  if (config.events.redisUrl) {
    relay = startEventRelay({
      databaseUrl: config.databaseUrl,
      redisUrl: config.events.redisUrl,
      redisPrefix: config.events.redisPrefix,
      onError: (error) => logger.warn({ err: error }, 'event relay cannot reach Redis; gateways fall back to polling'),
      onRecovered: () => logger.info('event relay reaches Redis again'),
    });
    await relay.ready;
    logger.info('relaying event signals to Redis');
  }
  return {
    url: running.url,
    port: running.port,
    services,
    stop: async () => {
      await relay?.close();
      await running.close();
      await apollo.stop();
      await sql.end({ timeout: 5 });
    },
  };
}
