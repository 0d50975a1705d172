import type { BudgetWithStatus } from '../domain/budgets.ts';
import { dateOf } from '../domain/utcCalendar.ts';

/** Budget fields over {@link BudgetWithStatus}. */
export const Budget = {
  id: (status: BudgetWithStatus) => status.budget.id,
  name: (status: BudgetWithStatus) => status.budget.name,
  amount: (status: BudgetWithStatus) => status.budget.amountMicros,
  period: (status: BudgetWithStatus) => status.budget.period,
  scope: (status: BudgetWithStatus) => status.budget.scope,
  thresholds: (status: BudgetWithStatus) => status.budget.thresholds.map((threshold) => ({ percent: threshold.basisPoints / 100, basis: threshold.basis })),
  action: (status: BudgetWithStatus) => status.budget.action,
  periodStart: (status: BudgetWithStatus) => dateOf(status.periodStart),
  periodEnd: (status: BudgetWithStatus) => dateOf(status.periodEnd),
  createdAt: (status: BudgetWithStatus) => status.budget.createdAt,
  updatedAt: (status: BudgetWithStatus) => status.budget.updatedAt,
};
