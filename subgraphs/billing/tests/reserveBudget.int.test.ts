import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '@novacron/catalog';
import { applyVmEvents } from '../src/domain/applyVmEvents.ts';
import { createBudget, listBudgets } from '../src/domain/budgets.ts';
import { expireBudgetReservations, releaseBudgetReservation, reserveBudget, type ReservationSpec } from '../src/domain/reserveBudget.ts';
import { epochSeconds } from '../src/domain/utcCalendar.ts';
import { createBillingDatabase } from './support/billingDatabase.ts';
import { vmEventStream } from './support/vmEventStream.ts';

const catalog = loadCatalog();
let database: Awaited<ReturnType<typeof createBillingDatabase>>;

beforeAll(async () => {
  database = await createBillingDatabase();
});
afterAll(async () => {
  await database?.drop();
});

// Mid-November: 15 days (360 h, 1,296,000 s) to the end of the period.
const now = epochSeconds('2026-11-16T00:00:00Z');
const spec: ReservationSpec = { provider: 'aws', region: 'us-east-1', instanceType: 'm6i.large', image: 'ubuntu-24.04', labels: { env: 'prod' } };
// A new m6i.large to the period's end: 360 h × 96,000 µ$ = 34,560,000; disk 640,000 × 1,296,000 / 2,628,000 = 315,616.44 → 315,616.
const perVm = 34_875_616n;
// An m6i.large running since Nov 1: forecast 720 h × 96,000 = 69,120,000 + disk 30 days × 21,041 (640,000 × 86,400 / 2,628,000 = 21,041.10) = 631,230.
const runningForecast = 69_751_230n;

/** A tenant with one prod VM running since Nov 1 and a $250 BLOCK_CREATE budget on env=prod: room for 5 more VMs. */
async function tenantWithBudget(tenantId: string) {
  const vm = vmEventStream({ tenantId, provider: 'aws', region: 'us-east-1', instanceType: 'm6i.large', labels: { env: 'prod' } });
  vm.created('2026-11-01T00:00:00Z');
  vm.running('2026-11-01T00:00:00Z');
  await database.db.transaction((tx) => applyVmEvents(tx, vm.events, catalog));
  const budget = await createBudget(database.db, tenantId, {
    name: 'prod',
    amount: '250',
    scope: { labels: [{ key: 'env', value: 'prod' }] },
    thresholds: [{ percent: 100, basis: 'FORECAST' }],
    action: 'BLOCK_CREATE',
  });
  return budget;
}

const reserve = (tenantId: string, operationId: string, extra: Partial<Parameters<typeof reserveBudget>[2]> = {}, at = now) =>
  reserveBudget(database.db, tenantId, { operationId, spec, ...extra }, { catalog, now: at });

describe('budget reservations (BLOCK_CREATE)', () => {
  it('refuses exactly the create that would overshoot, the same on a retry, and lets it through once a failed create releases its hold', async () => {
    const budget = await tenantWithBudget('serial');
    const first = await reserve('serial', 'op-1');
    expect(first).toMatchObject({ status: 'ALLOWED', amount: perVm, budgetIds: [budget.id] });
    for (let index = 2; index <= 5; index++) {
      await expect(reserve('serial', `op-${index}`)).resolves.toMatchObject({ status: 'ALLOWED', amount: perVm, budgetIds: [budget.id] });
    }
    // The sixth: 69,751,230 + 6 × 34,875,616 = 279,004,926 µ$ > $250.
    const overshoot = { extensions: { code: 'BUDGET_EXCEEDED', budgetId: budget.id, projected: '279.004926', amount: '250.000000' } };
    await expect(reserve('serial', 'op-6')).rejects.toMatchObject(overshoot);
    expect(runningForecast + 5n * perVm).toBeLessThanOrEqual(250_000_000n);
    // Retries: the refused one is refused again, the allowed one gets its same hold; never a second row.
    await expect(reserve('serial', 'op-6')).rejects.toMatchObject(overshoot);
    expect(await reserve('serial', 'op-1')).toEqual(first);
    const [{ count }] = await database.sql<[{ count: number }]>`select count(*)::int as count from billing.budget_reservations where tenant_id = 'serial'`;
    expect(count).toBe(6);
    // A create failed: its hold is released, and the refused operation now fits on retry.
    expect(await releaseBudgetReservation(database.db, 'serial', 'op-3')).toBe(true);
    expect(await releaseBudgetReservation(database.db, 'serial', 'op-3')).toBe(false);
    await expect(reserve('serial', 'op-6')).resolves.toMatchObject({ status: 'ALLOWED' });
    await expect(reserve('serial', 'op-7')).rejects.toMatchObject({ extensions: { code: 'BUDGET_EXCEEDED' } });
  });

  it('lets exactly the creates that fit through when 20 race one budget', async () => {
    await tenantWithBudget('racing');
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, index) => reserve('racing', `race-${index}`)));
    const allowed = results.filter((result) => result.status === 'fulfilled');
    const refused = results.filter((result) => result.status === 'rejected');
    expect(allowed).toHaveLength(5);
    expect(refused).toHaveLength(15);
    for (const result of refused) expect((result as PromiseRejectedResult).reason).toMatchObject({ extensions: { code: 'BUDGET_EXCEEDED' } });
    const [{ held }] = await database.sql<[{ held: string }]>`select coalesce(sum(amount_micros), 0)::text as held from billing.budget_reservations where tenant_id = 'racing' and status = 'HELD'`;
    expect(BigInt(held)).toBe(5n * perVm);
  });

  it('does not need a reservation for a VM outside every BLOCK_CREATE scope', async () => {
    await expect(reserve('racing', 'dev-vm', { spec: { ...spec, labels: { env: 'dev' } } })).resolves.toMatchObject({ status: 'NOT_REQUIRED', reservationId: null });
  });

  it('expires a hold whose VM never appears, but keeps one whose VM did, until it runs', async () => {
    await tenantWithBudget('expiry');
    const ghostVm = '00000000-0000-4000-8000-000000000001';
    await reserve('expiry', 'ghost', { vmId: ghostVm });
    const real = vmEventStream({ tenantId: 'expiry', provider: 'aws', region: 'us-east-1', instanceType: 'm6i.large', labels: { env: 'prod' } });
    await reserve('expiry', 'real', { vmId: real.id });
    await database.db.transaction((tx) => applyVmEvents(tx, [real.created('2026-11-16T00:00:05Z')], catalog));
    // Holds of the other tests' tenants made without a VM id expire too; the count covers them all.
    expect(await expireBudgetReservations(database.db, now + 16 * 60)).toBeGreaterThanOrEqual(1);
    const statuses = await database.sql`select operation_id, status from billing.budget_reservations where tenant_id = 'expiry' order by operation_id`;
    expect(statuses.map((row) => [row.operation_id, row.status])).toEqual([
      ['ghost', 'EXPIRED'],
      ['real', 'HELD'],
    ]);
    await database.db.transaction((tx) => applyVmEvents(tx, [real.running('2026-11-16T00:01:00Z')], catalog));
    const [settled] = await database.sql`select status from billing.budget_reservations where operation_id = 'real'`;
    expect(settled?.status).toBe('CONFIRMED');
  });

  it('releases the hold of a create that failed (ERROR) or was cancelled (DELETED), as the vms feed shows it', async () => {
    await tenantWithBudget('failing');
    const failed = vmEventStream({ tenantId: 'failing', provider: 'aws', region: 'us-east-1', instanceType: 'm6i.large', labels: { env: 'prod' } });
    const cancelled = vmEventStream({ tenantId: 'failing', provider: 'aws', region: 'us-east-1', instanceType: 'm6i.large', labels: { env: 'prod' } });
    await reserve('failing', 'create-failed', { vmId: failed.id });
    await reserve('failing', 'create-cancelled', { vmId: cancelled.id });
    failed.created('2026-11-16T00:00:01Z');
    failed.status('2026-11-16T00:00:30Z', 'ERROR');
    cancelled.created('2026-11-16T00:00:01Z');
    cancelled.deleted('2026-11-16T00:00:02Z');
    await database.db.transaction((tx) => applyVmEvents(tx, [...failed.events, ...cancelled.events], catalog));
    const rows = await database.sql`select operation_id, status from billing.budget_reservations where tenant_id = 'failing' order by operation_id`;
    expect(rows.map((row) => [row.operation_id, row.status])).toEqual([
      ['create-cancelled', 'RELEASED'],
      ['create-failed', 'RELEASED'],
    ]);
    // Both holds freed: five new VMs fit again.
    for (let index = 0; index < 5; index++) await expect(reserve('failing', `again-${index}`)).resolves.toMatchObject({ status: 'ALLOWED' });
  });

  it('reports spent, forecast and remaining for the period', async () => {
    const [status] = await listBudgets(database.db, 'expiry', now);
    // The Nov 1 VM: 360 h × 96,000 + 15 days × 21,041 = 34,875,615; the VM that started at 00:01 has its 60-s minimum (1,600) settled.
    expect(status?.spent).toBe(34_875_615n + 1_600n);
    expect(status?.remaining).toBe(250_000_000n - 34_877_215n);
    // Forecast: the Nov 1 VM's month (69,751,230) + the new VM from 00:01 to Dec 1: 1,295,940 s × 96,000 / 3,600 = 34,558,400
    // and disk 86,340 s on Nov 16 (21,026.48 → 21,026) + 14 days × 21,041 = 315,600.
    expect(status?.forecast).toBe(runningForecast + 34_558_400n + 315_600n);
  });
});
