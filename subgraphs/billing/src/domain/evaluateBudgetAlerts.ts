import { randomUUID } from 'node:crypto';
import type { Database } from '../db/createDatabase.ts';
import { budgetThresholdCrossings } from '../db/schema.ts';
import { appendBudgetAlertEvent } from './appendBudgetAlertEvent.ts';
import { enqueueWebhookDelivery } from './budgetWebhooks.ts';
import { listBudgets } from './budgets.ts';
import { formatUsd } from './money.ts';
import { dateOf } from './utcCalendar.ts';

/** The `budgetAlerts` payload of a threshold crossing (also the webhook's `data`). */
export interface ThresholdAlert extends Record<string, unknown> {
  id: string;
  kind: 'THRESHOLD_CROSSED';
  budgetId: string;
  budgetName: string;
  periodStart: string;
  thresholdPercent: number;
  basis: 'ACTUAL' | 'FORECAST';
  amount: string;
  spent: string;
  forecast: string;
  occurredAt: string;
}

/**
 * Fires every threshold the tenant's budgets have reached this period and that has not fired yet in
 * this period: the crossing row (its primary key makes it once per period), the `budgetAlerts` event
 * and the webhook delivery commit in one transaction. Safe to run concurrently and repeatedly.
 */
export async function evaluateBudgetAlerts(db: Database, tenantId: string, now: number): Promise<ThresholdAlert[]> {
  const fired: ThresholdAlert[] = [];
  for (const status of await listBudgets(db, tenantId, now)) {
    const { budget } = status;
    for (const threshold of budget.thresholds) {
      const value = threshold.basis === 'ACTUAL' ? status.spent : status.forecast;
      if (value * 10_000n < budget.amountMicros * BigInt(threshold.basisPoints)) continue;
      const alert = await db.transaction(async (tx) => {
        const inserted = await tx
          .insert(budgetThresholdCrossings)
          .values({
            budgetId: budget.id,
            periodStart: dateOf(status.periodStart),
            threshold: `${threshold.basis}:${threshold.basisPoints}`,
            tenantId,
            spentMicros: status.spent,
            forecastMicros: status.forecast,
          })
          .onConflictDoNothing()
          .returning();
        if (inserted.length === 0) return undefined;
        const payload: ThresholdAlert = {
          id: randomUUID(),
          kind: 'THRESHOLD_CROSSED',
          budgetId: budget.id,
          budgetName: budget.name,
          periodStart: dateOf(status.periodStart).toISOString(),
          thresholdPercent: threshold.basisPoints / 100,
          basis: threshold.basis,
          amount: formatUsd(budget.amountMicros),
          spent: formatUsd(status.spent),
          forecast: formatUsd(status.forecast),
          occurredAt: dateOf(now).toISOString(),
        };
        await appendBudgetAlertEvent(tx, tenantId, payload.id, budget.id, 'THRESHOLD_CROSSED', payload);
        await enqueueWebhookDelivery(tx, tenantId, 'budget.threshold_crossed', payload);
        return payload;
      });
      if (alert) fired.push(alert);
    }
  }
  return fired;
}
