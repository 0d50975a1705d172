import { gt, isNull, or } from 'drizzle-orm';
import type { CredentialKeys } from '@novacron/secrets';
import type { Database } from '../db/createDatabase.ts';
import { budgets, vms } from '../db/schema.ts';
import { deliverDueWebhooks, type DeliveryPolicy } from './budgetWebhooks.ts';
import { defaultAnomalyRule, type AnomalyRule } from './costAnomaly.ts';
import { detectCostAnomalies } from './detectCostAnomalies.ts';
import { evaluateBudgetAlerts } from './evaluateBudgetAlerts.ts';
import { expireBudgetReservations } from './reserveBudget.ts';
import { dateOf, secondsPerDay, startOfUtcDay } from './utcCalendar.ts';

/** What one pass did, for logs and tests. */
export interface BillingTaskReport {
  expiredHolds: number;
  alerts: number;
  anomalies: number;
  deliveries: number;
}

/** Options of {@link runBillingTasks}. */
export interface BillingTaskOptions {
  now: number;
  /** Judge yesterday's spend (once a day is enough; every pass is idempotent anyway). */
  judgeAnomalies: boolean;
  anomalyRule?: AnomalyRule;
  deliveryPolicy?: DeliveryPolicy;
  /** The keys webhook secrets are encrypted with. */
  secretKeys: CredentialKeys;
}

/**
 * One pass of billing's periodic work: expire holds whose VM never appeared, fire budget thresholds,
 * judge yesterday's spend, send due webhooks. Every step is idempotent and safe beside another
 * replica's pass (crossing and anomaly keys, SKIP LOCKED deliveries).
 */
export async function runBillingTasks(db: Database, options: BillingTaskOptions): Promise<BillingTaskReport> {
  const report: BillingTaskReport = { expiredHolds: 0, alerts: 0, anomalies: 0, deliveries: 0 };
  report.expiredHolds = await expireBudgetReservations(db, options.now);
  const budgetTenants = await db.selectDistinct({ tenantId: budgets.tenantId }).from(budgets);
  for (const { tenantId } of budgetTenants) report.alerts += (await evaluateBudgetAlerts(db, tenantId, options.now)).length;
  if (options.judgeAnomalies) {
    const rule = options.anomalyRule ?? defaultAnomalyRule;
    const yesterday = startOfUtcDay(options.now) - secondsPerDay;
    const since = dateOf(yesterday - rule.baselineDays * secondsPerDay);
    const tenants = await db.selectDistinct({ tenantId: vms.tenantId }).from(vms).where(or(isNull(vms.deletedAt), gt(vms.deletedAt, since)));
    for (const { tenantId } of tenants) report.anomalies += (await detectCostAnomalies(db, tenantId, yesterday, rule)).length;
  }
  for (;;) {
    const sent = await deliverDueWebhooks(db, options.secretKeys, { now: dateOf(options.now), policy: options.deliveryPolicy });
    report.deliveries += sent;
    if (sent === 0) break;
  }
  return report;
}

