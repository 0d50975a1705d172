import type { Catalog } from '@novacron/catalog';
import { sql } from 'drizzle-orm';
import type { SqlExecutor } from '@novacron/subgraph-kit';
import { computeBilledStatuses } from './billableSegments.ts';
import { isSpot, type FollowedVmEvent } from './FollowedVmEvent.ts';
import { pricesFor } from './priceBook.ts';

/** What settles a VM's held budget reservation, from one page's events about it. */
interface Settlement {
  vm_id: string;
  /** The earliest event of the VM in the page. */
  seen_at: string;
  /** CONFIRMED or RELEASED once an event decides, null while the create is still under way. */
  next: 'CONFIRMED' | 'RELEASED' | null;
}

/**
 * The billing projection of the vms `vm` stream, shaped for the kit's stream follower: it runs in the
 * follower's transaction (which also stores the cursor), so a crash neither skips nor double-applies
 * an event. Idempotent by (VM, version): re-applying a batch, or rebuilding from cursor zero, yields
 * the same rows. Prices are snapshotted with each history row.
 *
 * A page is one statement, whatever its size: the history rows, every VM's newest row and the
 * reservations it settles, each passed as one JSON set. One statement per event made a 4,000-event
 * catch-up take ~44 s; drizzle's multi-row builder after it was 58 % of the follower's CPU
 * (docs/benchmarks.md).
 */
export async function applyVmEvents(tx: SqlExecutor, events: readonly FollowedVmEvent[], catalog: Catalog): Promise<void> {
  if (events.length === 0) return;
  const historyRows = events.map((event) => {
    const vm = event.payload;
    const prices = pricesFor(catalog, { provider: vm.provider, region: vm.region, instanceType: vm.instanceType, image: vm.image, spot: isSpot(vm) });
    return {
      vm_id: event.entityId,
      version: event.version,
      tenant_id: event.tenantId,
      type: event.type,
      occurred_at: new Date(event.occurredAt).toISOString(),
      status: vm.status,
      provider: vm.provider,
      region: vm.region,
      instance_type: vm.instanceType,
      image: vm.image,
      has_provider_resource: vm.providerId != null,
      spot: prices.spot,
      // bigint: JSON has no such type; Postgres reads the string as its bigint column.
      compute_micros_per_hour: String(prices.computeMicrosPerHour),
      compute_priced: prices.computePriced,
      disk_gb: prices.diskGb,
      disk_micros_per_gb_month: String(prices.diskMicrosPerGbMonth),
    };
  });

  // One row per VM (its newest version in the batch): an upsert may not touch a row twice.
  const newest = new Map<string, FollowedVmEvent>();
  for (const event of events) {
    const seen = newest.get(event.entityId);
    if (!seen || seen.version < event.version) newest.set(event.entityId, event);
  }
  const latestRows = [...newest.values()].map((event) => {
    const vm = event.payload;
    const occurredAt = new Date(event.occurredAt).toISOString();
    return {
      vm_id: event.entityId,
      tenant_id: event.tenantId,
      name: vm.name,
      provider: vm.provider,
      region: vm.region,
      instance_type: vm.instanceType,
      image: vm.image,
      status: vm.status,
      labels: vm.labels ?? {},
      spot: isSpot(vm),
      version: event.version,
      created_at: new Date(vm.createdAt).toISOString(),
      deleted_at: vm.status === 'DELETED' ? occurredAt : null,
      updated_at: occurredAt,
    };
  });

  await tx.execute(sql`
    with history as (
      insert into billing.vm_history (vm_id, version, tenant_id, type, occurred_at, status, provider, region, instance_type, image,
        has_provider_resource, spot, compute_micros_per_hour, compute_priced, disk_gb, disk_micros_per_gb_month)
      select vm_id, version, tenant_id, type, occurred_at, status, provider, region, instance_type, image,
        has_provider_resource, spot, compute_micros_per_hour, compute_priced, disk_gb, disk_micros_per_gb_month
      from jsonb_to_recordset(${JSON.stringify(historyRows)}::jsonb) as h(vm_id uuid, version integer, tenant_id text, type text,
        occurred_at timestamptz, status text, provider text, region text, instance_type text, image text, has_provider_resource boolean,
        spot boolean, compute_micros_per_hour bigint, compute_priced boolean, disk_gb integer, disk_micros_per_gb_month bigint)
      on conflict do nothing
    ), latest as (
      insert into billing.vms (vm_id, tenant_id, name, provider, region, instance_type, image, status, labels, spot, version, created_at, deleted_at, updated_at)
      select vm_id, tenant_id, name, provider, region, instance_type, image, status, labels, spot, version, created_at, deleted_at, updated_at
      from jsonb_to_recordset(${JSON.stringify(latestRows)}::jsonb) as v(vm_id uuid, tenant_id text, name text, provider text, region text,
        instance_type text, image text, status text, labels jsonb, spot boolean, version integer, created_at timestamptz, deleted_at timestamptz,
        updated_at timestamptz)
      on conflict (vm_id) do update set
        tenant_id = excluded.tenant_id, name = excluded.name, provider = excluded.provider, region = excluded.region,
        instance_type = excluded.instance_type, image = excluded.image, status = excluded.status, labels = excluded.labels,
        spot = excluded.spot, version = excluded.version, deleted_at = excluded.deleted_at, updated_at = excluded.updated_at
      where billing.vms.version < excluded.version
    )
    ${settleReservationsSql(settlements(events))}`);
}

/**
 * A reservation held for a VM's create is settled by what the VM does: once it runs, its own rate
 * counts (CONFIRMED); if it fails or is deleted first, the hold is RELEASED. Until then it stays HELD,
 * and no longer expires once the VM has appeared.
 */
function settlements(events: readonly FollowedVmEvent[]): Settlement[] {
  const byVm = new Map<string, FollowedVmEvent[]>();
  for (const event of events) {
    const own = byVm.get(event.entityId);
    if (own) own.push(event);
    else byVm.set(event.entityId, [event]);
  }
  return [...byVm].map(([vmId, own]) => {
    own.sort((a, b) => a.version - b.version);
    const seenAt = own.reduce((earliest, event) => (event.occurredAt < earliest ? event.occurredAt : earliest), own[0]!.occurredAt);
    const decisive = own.find((event) => computeBilledStatuses.has(event.payload.status) || event.payload.status === 'ERROR' || event.payload.status === 'DELETED');
    const next = decisive ? (computeBilledStatuses.has(decisive.payload.status) ? 'CONFIRMED' : 'RELEASED') : null;
    return { vm_id: vmId, seen_at: seenAt, next };
  });
}

/** The page's statement ends by settling the HELD reservations of its VMs (see {@link settlements}). */
function settleReservationsSql(settled: Settlement[]) {
  return sql`
    update billing.budget_reservations as reservation
    set vm_seen_at = coalesce(reservation.vm_seen_at, settled.seen_at), status = coalesce(settled.next, reservation.status), updated_at = now()
    from jsonb_to_recordset(${JSON.stringify(settled)}::jsonb) as settled(vm_id uuid, seen_at timestamptz, next text)
    where reservation.vm_id = settled.vm_id and reservation.status = 'HELD'`;
}
