import { badInput } from '@novacron/errors';
import { authorize } from '@novacron/subgraph-kit';
import type { BillingContext } from '../context.ts';
import { findBudgetWebhook, listWebhookDeliveries } from '../domain/budgetWebhooks.ts';
import { listBudgets } from '../domain/budgets.ts';
import { costReport, type CostGroupBy } from '../domain/costReport.ts';
import { listCostAnomalies } from '../domain/detectCostAnomalies.ts';
import { epochSeconds, type CalendarStep } from '../domain/utcCalendar.ts';
import { budgetAlertAt } from './BudgetAlert.ts';

interface CostReportArgs {
  from: string;
  to: string;
  groupBy: CostGroupBy[];
  labelKey?: string | null;
  step?: CalendarStep | null;
}

/** Billing's queries; every one is scoped to the caller's tenant. */
export const Query = {
  costReport(_parent: unknown, args: CostReportArgs, context: BillingContext) {
    const identity = authorize(context, 'viewer');
    return costReport(
      context.services.db,
      identity.tenantId,
      { from: epochSeconds(args.from), to: epochSeconds(args.to), groupBy: args.groupBy, labelKey: args.labelKey ?? null, step: args.step ?? 'DAY' },
      context.services.now(),
    );
  },
  budgets(_parent: unknown, _args: unknown, context: BillingContext) {
    const identity = authorize(context, 'viewer');
    return listBudgets(context.services.db, identity.tenantId, context.services.now());
  },
  costAnomalies(_parent: unknown, args: { from: string; to: string }, context: BillingContext) {
    const identity = authorize(context, 'viewer');
    const window = { from: epochSeconds(args.from), to: epochSeconds(args.to) };
    if (!(window.to > window.from)) throw badInput('to', '`to` must be after `from`');
    return listCostAnomalies(context.services.db, identity.tenantId, window);
  },
  budgetWebhook(_parent: unknown, _args: unknown, context: BillingContext) {
    const identity = authorize(context, 'admin');
    return findBudgetWebhook(context.services.db, identity.tenantId).then((webhook) => webhook ?? null);
  },
  budgetWebhookDeliveries(_parent: unknown, args: { first?: number | null }, context: BillingContext) {
    const identity = authorize(context, 'admin');
    return listWebhookDeliveries(context.services.db, identity.tenantId, args.first ?? 50);
  },
  budgetAlertAt,
};
