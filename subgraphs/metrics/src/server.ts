import { drizzle } from 'drizzle-orm/postgres-js';
import { createProviderRegistry, type ProviderRegistry } from '@novacron/providers';
import type { Logger } from '@novacron/server-kit';
import { followerSettings, loadTypeDefs, startStreamFollower, startSubgraph, type KitServices, type RunningSubgraph, type Stoppable } from '@novacron/subgraph-kit';
import type { MetricsConfig } from './config.ts';
import type { MetricsServices, RequestContext } from './context.ts';
import { migrateMetrics } from './db/migrateMetrics.ts';
import { applyVmEvents } from './domain/applyVmEvents.ts';
import { collectSamples } from './domain/collectSamples.ts';
import { createRequestLoaders } from './domain/createRequestLoaders.ts';
import { recordRefusals, reportRefusals } from './domain/ingestSamples.ts';
import { maintainPartitions } from './domain/retention.ts';
import { rollUpPending } from './domain/rollUpPending.ts';
import { metricsOutbox } from './domain/sampleStream.ts';
import { startBackgroundJobs } from './domain/startBackgroundJobs.ts';
import { toVmStreamEvent } from '@novacron/events';
import { handleOtlpRequest } from './otlp/handleOtlpRequest.ts';
import { resolvers } from './resolvers/index.ts';

/** A running metrics subgraph. */
export type RunningMetricsSubgraph = RunningSubgraph<MetricsServices>;

/** The subgraph's SDL, loaded relative to this module. */
export const typeDefs = loadTypeDefs(new URL('./schema.graphql', import.meta.url));

/** Options for tests and tools: another provider registry, or no background work. */
export interface StartOptions {
  providers?: ProviderRegistry;
  /** Follow the vms stream, collect, roll up and maintain partitions in the background (default true). */
  background?: boolean;
}

/**
 * Serves the metrics subgraph through the platform kit: GraphQL and the OTLP/HTTP endpoint
 * (`/v1/metrics`), with background tasks following the vms VM stream (the projection), collecting
 * from the provider drivers, rolling up and maintaining partitions.
 */
export async function start(config: MetricsConfig, logger?: Logger, options: StartOptions = {}): Promise<RunningMetricsSubgraph> {
  return startSubgraph<MetricsServices, RequestContext>({
    config,
    logger,
    typeDefs,
    resolvers,
    migrate: migrateMetrics,
    services: async ({ sql, security, logger: kitLogger, metrics }) => {
      const now = () => new Date();
      await maintainPartitions(sql, now(), config.retention);
      metrics.declare('metricsIngestRefusals');
      const countRefusals: MetricsServices['countRefusals'] = (source, reason, count) => metrics.inc('metricsIngestRefusals', { source, reason }, count);
      return { sql, db: drizzle(sql), config, now, logger: kitLogger, verifyInternalToken: security.verifyInternalToken, countRefusals };
    },
    // Loaders are per request: nothing loaded for one caller is seen by another.
    context: ({ principal, tenantId }, services) => ({ principal, tenantId, services, loaders: createRequestLoaders(services) }),
    outbox: { outbox: metricsOutbox, db: (services) => services.db },
    routes: (services) => ({
      '/v1/metrics': (request, response) =>
        handleOtlpRequest(
          {
            sql: services.sql,
            logger: services.logger,
            maxBodyBytes: config.otlpMaxBodyBytes,
            verifyInternalToken: services.verifyInternalToken,
            countRefusals: services.countRefusals,
            ingestOptions: () => ({ now: services.now(), retention: config.retention, maxFutureMs: config.maxFutureMs }),
          },
          request,
          response,
        ),
    }),
    background: (kit, services) => (options.background === false ? [] : startMetricsTasks(kit, services, options.providers)),
  });
}

/** The follower of the vms VM stream and the periodic jobs (collect, roll up, partitions). */
function startMetricsTasks(kit: KitServices, services: MetricsServices, providers?: ProviderRegistry): Stoppable[] {
  const { config } = services;
  // Background work has a pool of its own, its backends at BACKGROUND_NICE (see KitServices.backgroundSql).
  const sql = kit.backgroundSql;
  const follower = startStreamFollower({
    name: 'metrics.vms',
    schema: 'metrics',
    db: drizzle(sql),
    source: { subgraph: 'vms', stream: 'vm' },
    feed: kit.subgraphs.feed('vms', 'metrics/follower'),
    apply: (tx, entries) => applyVmEvents(tx, entries.map(toVmStreamEvent)),
    logger: kit.logger,
    pollIntervalMs: config.collector.followPollIntervalMs,
    ...followerSettings(config),
  });
  const drivers = providers ?? createProviderRegistry({ sql, latencyMs: { min: 0, max: 0 }, capacityPerRegion: 0, simulatedMetricsIntervalMs: config.collector.simulatedIntervalMs });
  let collectedThrough = new Date(services.now().getTime() - config.collector.intervalMs);
  const jobs = startBackgroundJobs(
    [
      {
        name: 'collect',
        intervalMs: config.collector.intervalMs,
        run: async () => {
          // One replica collects at a time (the others skip the round), so samples and their stream
          // events are not written twice; a replica taking over asks for at most ten rounds back.
          const lock = await sql.reserve();
          try {
            const [held] = await lock<{ locked: boolean }[]>`select pg_try_advisory_lock(hashtext('novacron:metrics:collect')) as locked`;
            if (!held?.locked) return;
            try {
              const to = services.now();
              const from = new Date(Math.max(collectedThrough.getTime(), to.getTime() - 10 * config.collector.intervalMs));
              const result = await collectSamples(sql, drivers, { from, to }, { now: to, retention: config.retention, maxFutureMs: config.maxFutureMs });
              collectedThrough = to;
              for (const failed of result.failedProviders) kit.logger.warn({ err: failed.error, provider: failed.provider }, 'metrics collection failed for a provider');
              await recordRefusals(sql, '', 'collector', result, to);
              reportRefusals(services.countRefusals, 'collector', result);
            } finally {
              await lock`select pg_advisory_unlock(hashtext('novacron:metrics:collect'))`;
            }
          } finally {
            lock.release();
          }
        },
      },
      { name: 'rollup', intervalMs: config.rollupIntervalMs, run: async () => void (await rollUpPending(sql, services.now())) },
      { name: 'partitions', intervalMs: config.maintenanceIntervalMs, run: async () => void (await maintainPartitions(sql, services.now(), config.retention)) },
    ],
    kit.logger,
  );
  return [follower, jobs];
}
