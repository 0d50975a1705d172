import type { Executor } from '../db/createDatabase.ts';
import { alertEvents } from '../db/schema.ts';

/** Kinds of `budgetAlerts` events. */
export type BudgetAlertKind = 'THRESHOLD_CROSSED' | 'COST_ANOMALY';

/**
 * Writes one `budgetAlerts` event to the outbox, in the caller's transaction: the alert and its event
 * commit together or not at all. Each alert is its own entity (version 1), routed also by `keys`
 * (the budget or anomaly it is about).
 */
export async function appendBudgetAlertEvent(tx: Executor, tenantId: string, alertId: string, about: string, kind: BudgetAlertKind, payload: Record<string, unknown>): Promise<void> {
  await tx.insert(alertEvents).values({ tenantId, entityId: alertId, keys: [alertId, about], version: 1, type: kind, payload });
}
