import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { createInternalTokenVerifier, ensureDevelopmentKeys, internalTokenHeader, memoizeTokenVerifier } from '@novacron/auth';
import { loadCatalog } from '@novacron/catalog';
import { createSql } from '@novacron/db';
import { AppError, createErrorFormatter } from '@novacron/errors';
import { createGraphQLHttpServer, createLogger, listen, type Logger } from '@novacron/server-kit';
import type { PlacementConfig } from './config.ts';
import type { PlacementServices, RequestContext } from './context.ts';
import { createDatabase } from './db/createDatabase.ts';
import { migratePlacement } from './db/migratePlacement.ts';
import { expireReservations } from './domain/reserveCapacity.ts';
import { resolvers } from './resolvers/index.ts';

/** A running placement subgraph. */
export interface RunningPlacementSubgraph {
  url: string;
  port: number;
  services: PlacementServices;
  stop(): Promise<void>;
}

/** The subgraph's SDL, loaded relative to this module. */
export const typeDefs = parse(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8'));

function unauthenticated(message: string): AppError {
  return new AppError('UNAUTHENTICATED', message, { http: { status: 401 } });
}

/**
 * Migrates schema `placement` and serves the placement subgraph over HTTP, with a sweep that marks
 * unconfirmed reservations EXPIRED. (Written before the platform kit landed; the kit's
 * `startSubgraph` replaces the wiring below.)
 */
export async function start(config: PlacementConfig, logger: Logger = createLogger('placement')): Promise<RunningPlacementSubgraph> {
  if (config.production && !config.security.internalTokenPublicKeyPem) throw new Error('production mode needs INTERNAL_TOKEN_PUBLIC_KEY(_FILE)');
  const publicKeyPem = config.security.internalTokenPublicKeyPem ?? (await ensureDevelopmentKeys(config.security.keysDir)).internal.publicKeyPem;
  const verifyInternalToken = memoizeTokenVerifier(createInternalTokenVerifier({ publicKeyPem }));
  await migratePlacement(config.databaseUrl);
  const sql = createSql(config.databaseUrl, { max: 20, applicationName: 'novacron-placement' });
  const services: PlacementServices = { db: createDatabase(sql), catalog: loadCatalog(), config };
  const apollo = new ApolloServer<RequestContext>({
    schema: buildSubgraphSchema({ typeDefs, resolvers: resolvers as never }),
    introspection: !config.production,
    includeStacktraceInErrorResponses: !config.production,
    formatError: createErrorFormatter({ production: config.production, onMasked: (error) => logger.error({ err: error }, 'unexpected error in a resolver') }),
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled()],
  });
  await apollo.start();
  const server = createGraphQLHttpServer<RequestContext>({
    apollo,
    logger,
    // The subgraph trusts only the gateway: every request, `_service` and `_entities` included, must
    // carry an internal token the gateway signed.
    context: async (request) => {
      const header = request.headers[internalTokenHeader];
      const token = Array.isArray(header) ? header[0] : header;
      if (!token) throw unauthenticated('this subgraph accepts requests from the NovaCron gateway only');
      const principal = await verifyInternalToken(token).catch(() => {
        throw unauthenticated('invalid internal token');
      });
      return { principal, tenantId: principal.kind === 'user' ? principal.identity.tenantId : '', services };
    },
    ready: async () => {
      await sql`select 1`;
      return true;
    },
  });
  const running = await listen(server, config.port, config.host);
  const sweep = setInterval(() => {
    expireReservations(services.db).catch((error: unknown) => logger.warn({ err: error }, 'reservation sweep failed'));
  }, config.placement.reservationSweepIntervalMs);
  sweep.unref();
  logger.info({ url: running.url }, 'placement subgraph listening');
  return {
    url: running.url,
    port: running.port,
    services,
    stop: async () => {
      clearInterval(sweep);
      await running.close();
      await apollo.stop();
      await sql.end({ timeout: 5 });
    },
  };
}
