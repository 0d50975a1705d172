import { randomUUID } from 'node:crypto';
import { and, asc, eq, gte, lt } from 'drizzle-orm';
import type { Database, Executor } from '../db/createDatabase.ts';
import { costAnomalies } from '../db/schema.ts';
import { appendBudgetAlertEvent } from './appendBudgetAlertEvent.ts';
import { enqueueWebhookDelivery } from './budgetWebhooks.ts';
import { defaultAnomalyRule, judgeDailySpend, type AnomalyRule } from './costAnomaly.ts';
import { lineItems } from './lineItems.ts';
import { loadBilledVms } from './loadBilledVms.ts';
import { formatUsd, type Micros } from './money.ts';
import { dateOf, secondsPerDay, startOfUtcDay } from './utcCalendar.ts';

/** The `budgetAlerts` payload of an anomaly (also the webhook's `data`). */
export interface AnomalyAlert extends Record<string, unknown> {
  id: string;
  kind: 'COST_ANOMALY';
  anomalyId: string;
  scope: string;
  day: string;
  spend: string;
  baselineMean: string;
  baselineStddev: string;
  occurredAt: string;
}

/**
 * Judges one completed UTC day of a tenant's spend, per scope (`TENANT` and each `PROVIDER:<name>`),
 * against the trailing baseline. A new anomaly is stored once per scope and day, with its
 * `budgetAlerts` event and webhook delivery in the same transaction.
 */
export async function detectCostAnomalies(db: Database, tenantId: string, day: number, rule: AnomalyRule = defaultAnomalyRule): Promise<AnomalyAlert[]> {
  const dayStart = startOfUtcDay(day);
  const window = { from: dayStart - rule.baselineDays * secondsPerDay, to: dayStart + secondsPerDay };
  const series = new Map<string, Micros[]>();
  const add = (scope: string, index: number, micros: Micros) => {
    let values = series.get(scope);
    if (!values) series.set(scope, (values = Array.from({ length: rule.baselineDays + 1 }, () => 0n)));
    values[index]! += micros;
  };
  for (const billed of await loadBilledVms(db, tenantId, window)) {
    for (const item of lineItems(billed.segments, window, window.to)) {
      const index = (item.day - window.from) / secondsPerDay;
      add('TENANT', index, item.micros);
      add(`PROVIDER:${item.provider}`, index, item.micros);
    }
  }
  const alerts: AnomalyAlert[] = [];
  for (const [scope, values] of [...series].sort(([a], [b]) => a.localeCompare(b))) {
    const spend = values[rule.baselineDays]!;
    const verdict = judgeDailySpend(values.slice(0, rule.baselineDays), spend, rule);
    if (!verdict.anomalous) continue;
    const alert = await db.transaction(async (tx) => {
      const [row] = await tx
        .insert(costAnomalies)
        .values({ tenantId, scopeKey: scope, day: dateOf(dayStart), spendMicros: spend, baselineMeanMicros: verdict.meanMicros, baselineStddevMicros: verdict.stddevMicros })
        .onConflictDoNothing()
        .returning();
      if (!row) return undefined;
      const payload: AnomalyAlert = {
        id: randomUUID(),
        kind: 'COST_ANOMALY',
        anomalyId: row.id,
        scope,
        day: dateOf(dayStart).toISOString(),
        spend: formatUsd(spend),
        baselineMean: formatUsd(verdict.meanMicros),
        baselineStddev: formatUsd(verdict.stddevMicros),
        occurredAt: row.detectedAt.toISOString(),
      };
      await appendBudgetAlertEvent(tx, tenantId, payload.id, row.id, 'COST_ANOMALY', payload);
      await enqueueWebhookDelivery(tx, tenantId, 'budget.cost_anomaly', payload);
      return payload;
    });
    if (alert) alerts.push(alert);
  }
  return alerts;
}

/** The tenant's stored anomalies whose day lies in `[from, to)`, oldest first. */
export async function listCostAnomalies(db: Executor, tenantId: string, window: { from: number; to: number }) {
  return db
    .select()
    .from(costAnomalies)
    .where(and(eq(costAnomalies.tenantId, tenantId), gte(costAnomalies.day, dateOf(window.from)), lt(costAnomalies.day, dateOf(window.to))))
    .orderBy(asc(costAnomalies.day), asc(costAnomalies.scopeKey));
}
