import type { Catalog } from '@novacron/catalog';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../db/createDatabase.ts';
import { budgetReservations, vmHistory, vms } from '../db/schema.ts';
import { computeBilledStatuses } from './billableSegments.ts';
import { isSpot, type FollowedVmEvent } from './FollowedVmEvent.ts';
import { pricesFor } from './priceBook.ts';

/**
 * The billing projection of the vms `vm` stream, shaped for the kit's stream follower: it runs in the
 * follower's transaction (which also stores the cursor), so a crash neither skips nor double-applies
 * an event. Idempotent by (VM, version): re-applying a batch, or rebuilding from cursor zero, yields
 * the same rows. Prices are snapshotted with each history row.
 */
export async function applyVmEvents(tx: Executor, events: readonly FollowedVmEvent[], catalog: Catalog): Promise<void> {
  for (const event of events) {
    const vm = event.payload;
    const spot = isSpot(vm);
    const prices = pricesFor(catalog, { provider: vm.provider, region: vm.region, instanceType: vm.instanceType, image: vm.image, spot });
    const occurredAt = new Date(event.occurredAt);
    await tx
      .insert(vmHistory)
      .values({
        vmId: event.entityId,
        version: event.version,
        tenantId: event.tenantId,
        type: event.type,
        occurredAt,
        status: vm.status,
        provider: vm.provider,
        region: vm.region,
        instanceType: vm.instanceType,
        image: vm.image,
        hasProviderResource: vm.providerId != null,
        spot: prices.spot,
        computeMicrosPerHour: prices.computeMicrosPerHour,
        computePriced: prices.computePriced,
        diskGb: prices.diskGb,
        diskMicrosPerGbMonth: prices.diskMicrosPerGbMonth,
      })
      .onConflictDoNothing();
    const latest = {
      tenantId: event.tenantId,
      name: vm.name,
      provider: vm.provider,
      region: vm.region,
      instanceType: vm.instanceType,
      image: vm.image,
      status: vm.status,
      labels: vm.labels ?? {},
      spot: prices.spot,
      version: event.version,
      deletedAt: vm.status === 'DELETED' ? occurredAt : null,
      updatedAt: occurredAt,
    };
    await tx
      .insert(vms)
      .values({ vmId: event.entityId, createdAt: new Date(vm.createdAt), ...latest })
      .onConflictDoUpdate({ target: vms.vmId, set: latest, setWhere: sql`${vms.version} < ${event.version}` });
    await settleReservations(tx, event, occurredAt);
  }
}

/**
 * A reservation held for this VM's create is settled by what the VM does: once it runs, its own rate
 * counts (CONFIRMED); if it fails or is deleted first, the hold is RELEASED. Until then it stays HELD,
 * and no longer expires once the VM has appeared.
 */
async function settleReservations(tx: Executor, event: FollowedVmEvent, occurredAt: Date): Promise<void> {
  const status = event.payload.status;
  const next = computeBilledStatuses.has(status) ? 'CONFIRMED' : status === 'ERROR' || status === 'DELETED' ? 'RELEASED' : undefined;
  await tx
    .update(budgetReservations)
    .set({
      vmSeenAt: sql`coalesce(${budgetReservations.vmSeenAt}, ${occurredAt.toISOString()}::timestamptz)`,
      ...(next ? { status: next } : {}),
      updatedAt: sql`now()`,
    })
    .where(and(eq(budgetReservations.vmId, event.entityId), inArray(budgetReservations.status, ['HELD'])));
}
