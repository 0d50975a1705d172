import { createProviderRegistry } from '@novacron/providers';
import type { Sql } from '@novacron/db';
import type { Logger } from '@novacron/server-kit';
import { loadTypeDefs, startSubgraph, type RunningSubgraph } from '@novacron/subgraph-kit';
import type { VmsConfig } from './config.ts';
import type { RequestContext, VmsServices } from './context.ts';
import { createDatabase } from './db/createDatabase.ts';
import { createCredentialsLoader } from './domain/loadProviderCredentials.ts';
import { migrateVms } from './db/migrateVms.ts';
import { createVmLoader } from './domain/createVmLoader.ts';
import { createBudgetGuard } from './domain/reserveCreateBudget.ts';
import { createMutationAdmission } from './domain/createMutationAdmission.ts';
import { createAcceptPressureSignal } from './domain/signalAcceptPressure.ts';
import { createCreateGuardScope } from './domain/createCreateGuardScope.ts';
import { vmsOutbox } from './domain/eventStreams.ts';
import { loadCredentialKeys } from './loadCredentialKeys.ts';
import { observeOperations } from './observeOperations.ts';
import { resolvers } from './resolvers/index.ts';
import { startReconcileLoop } from './reconcile/startReconcileLoop.ts';

/** A running vms subgraph. */
export type RunningVmsSubgraph = RunningSubgraph<VmsServices>;

/** The subgraph's SDL, loaded relative to this module. */
export const typeDefs = loadTypeDefs(new URL('./schema.graphql', import.meta.url));

/**
 * Migrates the database (its own schema, the job queue's and the simulated cloud's) and serves the vms
 * subgraph through the platform kit. Its workers prune the event streams (`startWorker`).
 */
export async function start(config: VmsConfig, logger?: Logger): Promise<RunningVmsSubgraph> {
  const credentialKeys = await loadCredentialKeys(config);
  return startSubgraph<VmsServices, RequestContext>({
    config,
    logger,
    typeDefs,
    resolvers,
    migrate: migrateVms,
    services: ({ sql, metrics, subgraphs, logger: kitLogger }) => {
      // Queue depth, read at scrape time.
      observeOperations(metrics, sql);
      const db = createDatabase(sql);
      return {
        placement: config.subgraphUrls.placement ? subgraphs : undefined,
        credentialKeys,
        admission: config.admission ? createMutationAdmission({ ...config.admission, ...acceptPressureHook(config, sql, kitLogger) }) : null,
        createGuards:
          config.createGuardCacheMs && (config.subgraphUrls.placement || config.subgraphUrls.billing)
            ? createCreateGuardScope({ subgraphs, maxAgeMs: config.createGuardCacheMs, placement: Boolean(config.subgraphUrls.placement), billing: Boolean(config.subgraphUrls.billing) })
            : null,
        budgetGuard: config.subgraphUrls.billing ? createBudgetGuard({ subgraphs, failOpenTenants: config.budgetCheck?.failOpenTenants ?? [], logger: kitLogger }) : null,
        db,
        providers: createProviderRegistry({
          sql,
          latencyMs: config.simulated.latencyMs,
          capacityPerRegion: config.simulated.capacityPerRegion,
          emulated: config.clouds,
          loadCredentials: createCredentialsLoader(db, credentialKeys),
        }),
        config,
      };
    },
    context: ({ principal, tenantId }, services) => ({ principal, tenantId, services, vmById: createVmLoader(services.db, tenantId) }),
    // The reconciler runs beside the API (every replica; its changes are conditional on the VM's version).
    background: ({ logger: kitLogger }, services) =>
      config.reconcile.intervalMs > 0 ? [startReconcileLoop({ db: services.db, providers: services.providers, intervalMs: config.reconcile.intervalMs, logger: kitLogger })] : [],
    outbox: { outbox: vmsOutbox, db: (services) => services.db, prune: false },
  });
}

/** The admission's latency feeds the accept-pressure signal to the workers, when configured. */
function acceptPressureHook(config: VmsConfig, sql: Sql, logger: Logger): { onFinished?: (latencyMs: number) => void } {
  if (!config.acceptPressure) return {};
  const signal = createAcceptPressureSignal(sql, { targetMs: config.acceptPressure.targetMs, onError: (error) => logger.warn({ err: error }, 'accept-pressure NOTIFY failed') });
  return { onFinished: (latencyMs) => signal.record(latencyMs) };
}
