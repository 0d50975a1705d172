import { loadCatalog } from '@novacron/catalog';
import { loadCredentialKeys } from '@novacron/secrets';
import type { Logger } from '@novacron/server-kit';
import { followerSettings, loadTypeDefs, startStreamFollower, startSubgraph, type RunningSubgraph } from '@novacron/subgraph-kit';
import type { BillingConfig } from './config.ts';
import type { BillingContext, BillingServices } from './context.ts';
import { createDatabase } from './db/createDatabase.ts';
import { applyVmEvents } from './domain/applyVmEvents.ts';
import { billingOutbox } from './domain/billingOutbox.ts';
import { createVmCostLoader } from './domain/createVmCostLoader.ts';
import type { FollowedVmEvent } from './domain/FollowedVmEvent.ts';
import { observeInfrastructureCost } from './observeInfrastructureCost.ts';
import { resolvers } from './resolvers/index.ts';
import { encryptPlaintextWebhookSecrets } from './domain/webhookSecretCipher.ts';
import { startBillingTasks } from './startBillingTasks.ts';

/** The subgraph's SDL, loaded relative to this module. */
export const typeDefs = loadTypeDefs(new URL('./schema.graphql', import.meta.url));

/** Test seams. */
export interface StartOptions {
  /** Now, epoch seconds (default: the clock). */
  now?: () => number;
  /** Run the periodic tasks (default true). */
  tasks?: boolean;
}

/**
 * Serves the billing subgraph: migrations, the federated schema, the `alert` stream behind
 * `budgetAlerts`, the follower of the vms `vm` stream (the cost projection), and the periodic tasks.
 */
export function start(config: BillingConfig, logger?: Logger, options: StartOptions = {}): Promise<RunningSubgraph<BillingServices>> {
  return startSubgraph<BillingServices, BillingContext>({
    config,
    logger,
    typeDefs,
    resolvers,
    migrationsFolder: new URL('../drizzle', import.meta.url),
    services: async ({ sql, subgraphs }) => {
      const db = createDatabase(sql);
      const { security } = config;
      const secretKeys = await loadCredentialKeys({ production: config.production, credentialKeys: security.credentialKeys, credentialActiveKeyId: security.credentialActiveKeyId, keysDir: security.keysDir });
      // Rows from before migration 0001 hold their secret in plaintext until this start encrypts them.
      await encryptPlaintextWebhookSecrets(db, secretKeys);
      return {
        db,
        catalog: loadCatalog(),
        config,
        now: options.now ?? (() => Math.floor(Date.now() / 1000)),
        metrics: config.subgraphUrls.metrics
          ? (query, variables) => subgraphs.request('metrics', query, variables, { system: true, subject: 'billing/rightsizing' })
          : null,
        secretKeys,
      };
    },
    // Loaders are per request and bound to the caller's tenant: nothing cached is ever shared.
    context: (request, services) => ({ ...request, services, vmCost: createVmCostLoader(services.db, request.tenantId, services.now) }),
    outbox: { outbox: billingOutbox, db: (services) => services.db },
    background: (kit, services) => {
      observeInfrastructureCost(kit.metrics, services.db);
      // Background work has a pool of its own, its backends at BACKGROUND_NICE (see KitServices.backgroundSql).
      const background = { ...services, db: createDatabase(kit.backgroundSql) };
      const follower = startStreamFollower({
        name: 'billing.vm_costs',
        schema: 'billing',
        db: background.db,
        source: { subgraph: 'vms', stream: 'vm' },
        feed: kit.subgraphs.feed('vms', 'billing/follower'),
        logger: kit.logger,
        ...followerSettings(config),
        apply: (tx, entries) => applyVmEvents(tx, entries as unknown as FollowedVmEvent[], services.catalog),
      });
      return options.tasks === false ? [follower] : [follower, startBillingTasks(background, kit.logger)];
    },
  });
}
