import type { Catalog } from '@novacron/catalog';
import { appError, badInput } from '@novacron/errors';
import { and, asc, eq, gt, inArray, isNotNull, lte, isNull, or, sql, sum } from 'drizzle-orm';
import type { Database, Executor } from '../db/createDatabase.ts';
import { budgetReservations, budgets } from '../db/schema.ts';
import { matchesScope } from './budgetScope.ts';
import { budgetSpend } from './budgetSpend.ts';
import { currentPeriod } from './budgets.ts';
import { loadBilledVms } from './loadBilledVms.ts';
import { costOf, formatUsd, hourlyRate, secondsPerBillingMonth, type Micros } from './money.ts';
import { pricesFor } from './priceBook.ts';
import { dateOf } from './utcCalendar.ts';

/** The VM a create would make. */
export interface ReservationSpec {
  provider: string;
  region: string;
  instanceType: string;
  image: string;
  labels: Record<string, string>;
  spot?: boolean;
}

/** A reservation request from the vms subgraph's create path. */
export interface ReserveBudgetRequest {
  /** The creating operation: the idempotency key of the reservation. */
  operationId: string;
  /** The VM id the create will use, so the reservation settles when that VM shows up in the feed. */
  vmId?: string | null;
  spec: ReservationSpec;
}

/** The answer: ALLOWED with the budgets held, or NOT_REQUIRED when no BLOCK_CREATE budget covers the VM. */
export interface ReservationOutcome {
  status: 'ALLOWED' | 'NOT_REQUIRED';
  reservationId: string | null;
  /** What the VM would cost to the end of the period, µ$. */
  amount: Micros;
  budgetIds: string[];
}

/** How long a reservation waits for its VM to appear in the vms feed before it expires. */
export const defaultHoldSeconds = 15 * 60;

/**
 * Reserves budget for a VM about to be created (DESIGN-NOTES §8). For each BLOCK_CREATE budget whose
 * scope covers the VM, the create is refused with BUDGET_EXCEEDED when
 * spent so far + every in-scope charge still accruing, at its current rate, to the period's end
 * + live holds of other creates + this VM's rate to the period's end > the budget's amount.
 * The covering budget rows are locked (in id order) for the check, so concurrent creates are
 * serialized per budget and cannot jointly overshoot. Idempotent by operation id: a retry of an allowed
 * reservation returns the same hold; a retry of a refused one is judged again (a refusal holds nothing,
 * so the client may retry with the same key after raising the budget) and overwrites the recorded
 * refusal, so an operation id never has two rows. The refusal is recorded, then thrown after the commit.
 */
export async function reserveBudget(
  db: Database,
  tenantId: string,
  request: ReserveBudgetRequest,
  options: { catalog: Catalog; now: number; holdSeconds?: number },
): Promise<ReservationOutcome> {
  if (request.operationId.trim() === '' || request.operationId.length > 200) throw badInput('operationId', 'operationId must be 1 to 200 characters');
  const outcome = await db.transaction(async (tx) => {
    const candidates = await tx.select().from(budgets).where(and(eq(budgets.tenantId, tenantId), eq(budgets.action, 'BLOCK_CREATE')));
    const coveringIds = candidates.filter((budget) => matchesScope(budget.scope, request.spec)).map((budget) => budget.id).sort();
    // Lock the covering budgets in one order (no deadlocks), then decide under the lock.
    const covering = coveringIds.length
      ? await tx.select().from(budgets).where(inArray(budgets.id, coveringIds)).orderBy(asc(budgets.id)).for('update')
      : [];
    const existing = await findReservation(tx, tenantId, request.operationId);
    if (existing) return existing;
    const record = (values: typeof budgetReservations.$inferInsert) =>
      tx
        .insert(budgetReservations)
        .values(values)
        .onConflictDoUpdate({
          target: [budgetReservations.tenantId, budgetReservations.operationId],
          set: { ...values, id: sql`${budgetReservations.id}`, createdAt: sql`${budgetReservations.createdAt}`, updatedAt: sql`now()` },
        })
        .returning();

    const period = currentPeriod(options.now);
    const prices = pricesFor(options.catalog, { ...request.spec, spot: request.spec.spot ?? false });
    const secondsLeft = period.to - options.now;
    const amount =
      costOf(hourlyRate(prices.computeMicrosPerHour), secondsLeft) +
      costOf({ numerator: prices.diskMicrosPerGbMonth * BigInt(prices.diskGb), perSeconds: secondsPerBillingMonth }, secondsLeft);
    const base = {
      tenantId,
      operationId: request.operationId,
      vmId: request.vmId ?? null,
      spec: { ...request.spec },
      amountMicros: amount,
      budgetIds: covering.map((budget) => budget.id),
      periodStart: dateOf(period.from),
      expiresAt: dateOf(options.now + (options.holdSeconds ?? defaultHoldSeconds)),
    };
    if (covering.length === 0) {
      return { status: 'NOT_REQUIRED', reservationId: null, amount, budgetIds: [] } satisfies ReservationOutcome;
    }

    const billed = await loadBilledVms(tx, tenantId, period);
    for (const budget of covering) {
      const { forecast } = budgetSpend(billed, budget.scope, period, period.to);
      const held = await heldAmount(tx, budget.id, period.from, options.now);
      if (forecast + held + amount > budget.amountMicros) {
        const [refused] = await record({ ...base, status: 'REFUSED', refusedBy: budget.id });
        return refusal(budget, forecast + held + amount, refused!.id);
      }
    }
    const [held] = await record({ ...base, status: 'HELD', refusedBy: null });
    return { status: 'ALLOWED', reservationId: held!.id, amount, budgetIds: base.budgetIds } satisfies ReservationOutcome;
  });
  if ('refused' in outcome) throw outcome.refused;
  return outcome;
}

/** Sum of holds still counting against a budget: HELD, in this period, and not past expiry unless the VM appeared. */
async function heldAmount(tx: Executor, budgetId: string, periodStart: number, now: number): Promise<Micros> {
  const [row] = await tx
    .select({ total: sum(budgetReservations.amountMicros) })
    .from(budgetReservations)
    .where(
      and(
        eq(budgetReservations.status, 'HELD'),
        eq(budgetReservations.periodStart, dateOf(periodStart)),
        sql`${budgetId}::uuid = any(${budgetReservations.budgetIds})`,
        or(isNotNull(budgetReservations.vmSeenAt), gt(budgetReservations.expiresAt, dateOf(now))),
      ),
    );
  return BigInt(row?.total ?? 0);
}

function refusal(budget: { id: string; name: string; amountMicros: Micros }, projected: Micros, reservationId: string) {
  return {
    refused: appError('BUDGET_EXCEEDED', `this VM would take budget "${budget.name}" to $${formatUsd(projected)} this month, over its $${formatUsd(budget.amountMicros)}`, {
      budgetId: budget.id,
      budgetName: budget.name,
      amount: formatUsd(budget.amountMicros),
      projected: formatUsd(projected),
      reservationId,
    }),
  };
}

async function findReservation(tx: Executor, tenantId: string, operationId: string) {
  const [row] = await tx
    .select()
    .from(budgetReservations)
    .where(and(eq(budgetReservations.tenantId, tenantId), eq(budgetReservations.operationId, operationId)));
  // A recorded refusal is judged again by the caller.
  if (!row || row.status === 'REFUSED') return undefined;
  return { status: 'ALLOWED', reservationId: row.id, amount: row.amountMicros, budgetIds: row.budgetIds } satisfies ReservationOutcome;
}

/**
 * Releases the hold of a create that failed or was cancelled. Returns whether a hold was released
 * (false when there is none, or it was already settled).
 */
export async function releaseBudgetReservation(db: Executor, tenantId: string, operationId: string): Promise<boolean> {
  const released = await db
    .update(budgetReservations)
    .set({ status: 'RELEASED', updatedAt: sql`now()` })
    .where(and(eq(budgetReservations.tenantId, tenantId), eq(budgetReservations.operationId, operationId), eq(budgetReservations.status, 'HELD')))
    .returning({ id: budgetReservations.id });
  return released.length > 0;
}

/** Expires holds whose VM never appeared in the vms feed before their deadline; returns how many. */
export async function expireBudgetReservations(db: Executor, now: number): Promise<number> {
  const expired = await db
    .update(budgetReservations)
    .set({ status: 'EXPIRED', updatedAt: sql`now()` })
    .where(and(eq(budgetReservations.status, 'HELD'), isNull(budgetReservations.vmSeenAt), lte(budgetReservations.expiresAt, dateOf(now))))
    .returning({ id: budgetReservations.id });
  return expired.length;
}
