import { appError, badInput, notFound } from '@novacron/errors';
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Executor } from '../db/createDatabase.ts';
import { budgets } from '../db/schema.ts';
import { budgetSpend, type BudgetSpend } from './budgetSpend.ts';
import { loadBilledVms } from './loadBilledVms.ts';
import type { Micros } from './money.ts';
import { startOfNextUtcMonth, startOfUtcMonth } from './utcCalendar.ts';
import { validateBudgetInput, type BudgetInput } from './validateBudgetInput.ts';

/** A stored budget. */
export type BudgetRow = typeof budgets.$inferSelect;

/** A budget with where it stands in the current period. */
export interface BudgetWithStatus extends BudgetSpend {
  budget: BudgetRow;
  periodStart: number;
  periodEnd: number;
  remaining: Micros;
}

/** The current monthly period around `now` (epoch seconds). */
export function currentPeriod(now: number): { from: number; to: number } {
  return { from: startOfUtcMonth(now), to: startOfNextUtcMonth(now) };
}

const isUniqueViolation = (error: unknown) => (error as { code?: string })?.code === '23505' || (error as { cause?: { code?: string } })?.cause?.code === '23505';

/** Creates a budget; a name already used in the tenant is a CONFLICT on `input.name`. */
export async function createBudget(db: Executor, tenantId: string, input: BudgetInput): Promise<BudgetRow> {
  const valid = validateBudgetInput(input);
  try {
    const [row] = await db.insert(budgets).values({ tenantId, ...valid }).returning();
    return row!;
  } catch (error) {
    if (isUniqueViolation(error)) throw appError('CONFLICT', `a budget named "${valid.name}" already exists`, { field: 'input.name' });
    throw error;
  }
}

/** Replaces a budget's definition (the whole input, validated like a create). */
export async function updateBudget(db: Executor, tenantId: string, id: string, input: BudgetInput): Promise<BudgetRow> {
  const valid = validateBudgetInput(input);
  try {
    const [row] = await db
      .update(budgets)
      .set({ ...valid, version: sql`${budgets.version} + 1`, updatedAt: sql`now()` })
      .where(and(eq(budgets.id, id), eq(budgets.tenantId, tenantId)))
      .returning();
    if (!row) throw notFound('Budget', id);
    return row;
  } catch (error) {
    if (isUniqueViolation(error)) throw appError('CONFLICT', `a budget named "${valid.name}" already exists`, { field: 'input.name' });
    throw error;
  }
}

/** Deletes a budget of the tenant; NOT_FOUND when there is none with that id. */
export async function deleteBudget(db: Executor, tenantId: string, id: string): Promise<boolean> {
  const deleted = await db.delete(budgets).where(and(eq(budgets.id, id), eq(budgets.tenantId, tenantId))).returning({ id: budgets.id });
  if (deleted.length === 0) throw notFound('Budget', id);
  return true;
}

/** Checks an id is a UUID before it reaches a uuid column (a malformed id is bad input, not a 500). */
export function assertUuid(id: string, field: string): void {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw badInput(field, `${field} is not a valid id`);
}

/** The tenant's budgets, by name, with spent, forecast and remaining in the current period. */
export async function listBudgets(db: Executor, tenantId: string, now: number): Promise<BudgetWithStatus[]> {
  const rows = await db.select().from(budgets).where(eq(budgets.tenantId, tenantId)).orderBy(asc(budgets.name));
  if (rows.length === 0) return [];
  const period = currentPeriod(now);
  const billed = await loadBilledVms(db, tenantId, period);
  return rows.map((budget) => {
    const spend = budgetSpend(billed, budget.scope, period, now);
    return { budget, ...spend, periodStart: period.from, periodEnd: period.to, remaining: budget.amountMicros - spend.spent };
  });
}
