import type { SqlExecutor } from '@novacron/subgraph-kit';
import { billingOutbox } from './billingOutbox.ts';

/** Kinds of `budgetAlerts` events. */
export type BudgetAlertKind = 'THRESHOLD_CROSSED' | 'COST_ANOMALY';

/**
 * Writes one `budgetAlerts` event to the `alert` stream in the caller's transaction (the alert and its
 * event commit together or not at all; the kit signals it at commit). Each alert is its own entity
 * (version 1), routed also by `about` (the budget or anomaly it concerns).
 */
export async function appendBudgetAlertEvent(tx: SqlExecutor, tenantId: string, alertId: string, about: string, kind: BudgetAlertKind, payload: Record<string, unknown>): Promise<void> {
  await billingOutbox.append(tx, 'alert', { tenantId, entityId: alertId, keys: [alertId, about], version: 1, type: kind, payload });
}
