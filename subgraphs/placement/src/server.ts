import { loadCatalog } from '@novacron/catalog';
import type { Logger, Stoppable } from '@novacron/server-kit';
import { loadTypeDefs, startStreamFollower, startSubgraph, type KitServices, type RunningSubgraph } from '@novacron/subgraph-kit';
import type { PlacementConfig } from './config.ts';
import type { PlacementServices, RequestContext } from './context.ts';
import { createDatabase } from './db/createDatabase.ts';
import { toVmStreamEvent } from '@novacron/events';
import { createVmUsageProjection } from './domain/applyVmEvents.ts';
import { createDecisionLoader } from './domain/createDecisionLoader.ts';
import { loadPlacementState } from './domain/loadPlacementState.ts';
import { createPlacementStateCache } from './domain/placementStateCache.ts';
import { expireReservations } from './domain/reserveCapacity.ts';
import { resolvers } from './resolvers/index.ts';

/** A running placement subgraph. */
export type RunningPlacementSubgraph = RunningSubgraph<PlacementServices>;

/** The subgraph's SDL, loaded relative to this module. */
export const typeDefs = loadTypeDefs(new URL('./schema.graphql', import.meta.url));

/** Marks reservations never confirmed in time EXPIRED, on an interval. */
function startReservationSweep(services: PlacementServices, logger: Logger): Stoppable {
  const timer = setInterval(() => {
    expireReservations(services.db).catch((error: unknown) => logger.warn({ err: error }, 'reservation sweep failed'));
  }, services.config.placement.reservationSweepIntervalMs);
  timer.unref();
  return { stop: async () => clearInterval(timer) };
}

/** Follows the vms `vm` stream into the usage projection (per-tenant vCPUs, create outcomes, reservation confirmations). */
function followVms(kit: KitServices, services: PlacementServices): Stoppable {
  const project = createVmUsageProjection(services.catalog);
  return startStreamFollower({
    name: 'placement.vm_usage',
    schema: 'placement',
    db: services.db,
    source: { subgraph: 'vms', stream: 'vm' },
    feed: kit.subgraphs.feed('vms', 'placement/follower'),
    // Usage and outcomes change: cached tenant states go (a request racing this commit may keep the old one for PLACEMENT_STATE_MAX_AGE_MS).
    apply: async (tx, entries) => {
      await project(tx as never, entries.map(toVmStreamEvent));
      services.stateCache.invalidate();
    },
    logger: kit.logger,
    signals: { databaseUrl: kit.config.databaseUrl, redisUrl: kit.config.events.redisUrl, redisPrefix: kit.config.events.redisPrefix },
  });
}

/** Migrates schema `placement` and serves the placement subgraph through the platform kit. */
export function start(config: PlacementConfig, logger?: Logger): Promise<RunningPlacementSubgraph> {
  return startSubgraph<PlacementServices, RequestContext>({
    config,
    logger,
    typeDefs,
    resolvers,
    migrationsFolder: new URL('../drizzle', import.meta.url),
    services: ({ sql }) => {
      const db = createDatabase(sql);
      const stateCache = createPlacementStateCache({ load: (tenantId) => loadPlacementState(db, tenantId, config.placement), maxAgeMs: config.placement.stateMaxAgeMs });
      return { db, catalog: loadCatalog(), config, stateCache };
    },
    // Loaders are per request and bound to the caller's tenant: nothing cached is ever shared.
    context: ({ principal, tenantId }, services) => ({ principal, tenantId, services, decisionByVm: createDecisionLoader(services.db, tenantId) }),
    background: (kit, services) => [startReservationSweep(services, kit.logger), ...(config.placement.followVms ? [followVms(kit, services)] : [])],
  });
}
