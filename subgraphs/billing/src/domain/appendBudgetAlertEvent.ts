import type { Executor } from '../db/createDatabase.ts';
import { budgetAlertEvents } from '../db/schema.ts';

/** Kinds of `budgetAlerts` events. */
export type BudgetAlertKind = 'THRESHOLD_CROSSED' | 'COST_ANOMALY';

/**
 * Writes one `budgetAlerts` event to the outbox, in the caller's transaction: the alert and its event
 * commit together or not at all.
 */
export async function appendBudgetAlertEvent(tx: Executor, tenantId: string, entityId: string, kind: BudgetAlertKind, payload: Record<string, unknown>): Promise<number> {
  const [row] = await tx.insert(budgetAlertEvents).values({ tenantId, entityId, type: kind, payload }).returning({ seq: budgetAlertEvents.seq });
  return row!.seq;
}
