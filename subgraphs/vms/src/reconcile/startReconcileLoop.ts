import type { ProviderRegistry } from '@novacron/providers';
import type { Logger } from '@novacron/server-kit';
import type { Database } from '../db/createDatabase.ts';
import { reconcileTenantProvider, tenantsToReconcile } from './reconcileTenantProvider.ts';

/** A running reconcile loop. */
export interface ReconcileLoop {
  stop(): Promise<void>;
}

/**
 * Reconciles every tenant's providers every `intervalMs`, one pass at a time (a pass that outlasts
 * the interval delays the next rather than overlapping it). A provider that fails is logged and
 * tried again next pass; the others go on.
 */
export function startReconcileLoop(options: { db: Database; providers: ProviderRegistry; intervalMs: number; logger: Logger }): ReconcileLoop {
  const { db, providers, intervalMs, logger } = options;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let pass: Promise<void> = Promise.resolve();

  async function reconcileAll(): Promise<void> {
    for (const tenantId of await tenantsToReconcile(db)) {
      for (const driver of providers.list()) {
        if (stopped) return;
        try {
          const result = await reconcileTenantProvider(db, providers, tenantId, driver.name);
          if (result.drifted.length + result.vanished.length + result.orphans.length + result.deletedOrphans.length > 0) {
            logger.info({ tenantId, ...result }, 'reconciled provider');
          }
        } catch (error) {
          logger.warn({ err: error, tenantId, provider: driver.name }, 'reconciling a provider failed; trying again next pass');
        }
      }
    }
  }

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      pass = reconcileAll()
        .catch((error: unknown) => logger.warn({ err: error }, 'a reconcile pass failed'))
        .finally(schedule);
    }, intervalMs);
    timer.unref();
  };
  schedule();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await pass;
    },
  };
}
