import { loadCatalog } from '@novacron/catalog';
import type { Logger, Stoppable } from '@novacron/server-kit';
import { followerSettings, loadTypeDefs, startStreamFollower, startSubgraph, type KitServices, type RunningSubgraph, type StreamFollower, type StreamFollowerOptions } from '@novacron/subgraph-kit';
import type { PlacementConfig } from './config.ts';
import type { PlacementServices, RequestContext } from './context.ts';
import { createDatabase } from './db/createDatabase.ts';
import { toVmStreamEvent, type FeedFetcher } from '@novacron/events';
import { createVmUsageProjection, type UsageChanges } from './domain/applyVmEvents.ts';
import { createDecisionLoader } from './domain/createDecisionLoader.ts';
import { loadPlacementState } from './domain/loadPlacementState.ts';
import { createPlacementStateCache } from './domain/placementStateCache.ts';
import { expireReservations } from './domain/reserveCapacity.ts';
import { resolvers } from './resolvers/index.ts';
import { createPlacementResponseCache } from './responseCache/createPlacementResponseCache.ts';

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

/** Raises the state versions a batch changed: its tenants' usage, every tenant's when create outcomes changed. */
function invalidateChanged(services: PlacementServices, changes: UsageChanges): void {
  if (changes.outcomes) services.stateCache.invalidate();
  else for (const tenantId of changes.tenants) services.stateCache.invalidate(tenantId);
}

/**
 * Follows the vms `vm` stream (`feed`) into the usage projection (per-tenant vCPUs, create outcomes,
 * reservation confirmations), raising the state versions each batch changed.
 */
export function followVmUsage(
  services: PlacementServices,
  options: { feed: FeedFetcher; logger: Logger } & Pick<StreamFollowerOptions, 'signals' | 'minIntervalMs'>,
): StreamFollower {
  const project = createVmUsageProjection(services.catalog);
  let committing: UsageChanges | null = null;
  return startStreamFollower({
    name: 'placement.vm_usage',
    schema: 'placement',
    // The changed states are invalidated in the batch's transaction and again once it committed: a
    // request loading between the two would otherwise keep the old rows under the new version.
    db: {
      execute: (query) => services.db.execute(query),
      transaction: async (run) => {
        try {
          return await services.db.transaction(run);
        } finally {
          if (committing) invalidateChanged(services, committing);
          committing = null;
        }
      },
    },
    source: { subgraph: 'vms', stream: 'vm' },
    feed: options.feed,
    apply: async (tx, entries) => {
      committing = await project(tx, entries.map(toVmStreamEvent));
      invalidateChanged(services, committing);
    },
    logger: options.logger,
    signals: options.signals,
    minIntervalMs: options.minIntervalMs,
  });
}

function followVms(kit: KitServices, services: PlacementServices): Stoppable {
  // Background work has a pool of its own, its backends at BACKGROUND_NICE (see KitServices.backgroundSql).
  return followVmUsage({ ...services, db: createDatabase(kit.backgroundSql) }, {
    feed: kit.subgraphs.feed('vms', 'placement/follower'),
    logger: kit.logger,
    ...followerSettings(kit.config),
  });
}

/**
 * How long the gateway may serve this answer again (`x-novacron-max-age-ms`): 0 when a field read
 * state outside a lease, until the earliest lease's `validUntil` when placementOptions ranked, and no
 * bound (the gateway's event and mutation invalidation) for everything else.
 */
export function reuseBoundOf(context: RequestContext): number | undefined {
  if (context.readsUnleasedState) return 0;
  if (context.stateLeases.length === 0) return undefined;
  return Math.min(...context.stateLeases.map((lease) => lease.validUntil)) - Date.now();
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
      const responseCache = config.placement.responseCache && config.placement.stateMaxAgeMs > 0 ? createPlacementResponseCache(stateCache) : null;
      return { db, catalog: loadCatalog(), config, stateCache, responseCache };
    },
    // Loaders are per request and bound to the caller's tenant: nothing cached is ever shared.
    context: ({ principal, tenantId }, services) => ({ principal, tenantId, services, stateLeases: [], readsUnleasedState: false, decisionByVm: createDecisionLoader(services.db, tenantId) }),
    earlyResponses: (services) => services.responseCache,
    // placementOptions changes with other tenants' create outcomes and with time, which no event of the
    // asking tenant tells the gateway: a cache in front may serve it only while its state lease is fresh.
    responseMaxAgeMs: reuseBoundOf,
    background: (kit, services) => [startReservationSweep(services, kit.logger), ...(config.placement.followVms ? [followVms(kit, services)] : [])],
  });
}
