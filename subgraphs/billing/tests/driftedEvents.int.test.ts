import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '@novacron/catalog';
import { applyVmEvents } from '../src/domain/applyVmEvents.ts';
import { epochSeconds } from '../src/domain/utcCalendar.ts';
import { vmCost } from '../src/domain/vmCost.ts';
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

describe('billing of the reconciler’s DRIFTED events', () => {
  it('bills the real state a DRIFTED event reports: a VM stopped outside NovaCron stops accruing compute', async () => {
    const spec = { tenantId: 'acme', provider: 'gcp', region: 'us-central1', instanceType: 'e2-standard-2' };
    const steady = vmEventStream(spec);
    const drifted = vmEventStream(spec);
    for (const vm of [steady, drifted]) {
      vm.created('2026-11-01T00:00:00Z');
      vm.running('2026-11-01T00:00:00Z');
    }
    // What the vms reconciler emits: the VM as it now is, type DRIFTED, with the drift beside it.
    const event = drifted.status('2026-11-01T10:00:00Z', 'STOPPED');
    event.type = 'DRIFTED';
    event.payload.drift = { before: { status: 'RUNNING', instanceType: 'e2-standard-2' }, after: { status: 'STOPPED', instanceType: 'e2-standard-2' } };
    await database.db.transaction((tx) => applyVmEvents(tx, [...steady.events, ...drifted.events], catalog));

    const now = epochSeconds('2026-11-02T00:00:00Z');
    const [steadyCost, driftedCost] = await Promise.all([vmCost(database.db, 'acme', steady.id, now), vmCost(database.db, 'acme', drifted.id, now)]);
    // 14 hours fewer of e2-standard-2 compute (67,010 µ$/h); the disk is billed alike while stopped.
    expect(steadyCost.accruedMonthToDate - driftedCost.accruedMonthToDate).toBe(14n * 67_010n);
    expect(driftedCost.computeHourly).toBe(67_010n);
    expect(driftedCost.hourlyRate).toBe(steadyCost.hourlyRate - 67_010n);
  });
});
