import type { Queryable } from './Queryable.ts';
import type { VmEvent } from './VmEvent.ts';

/**
 * The metrics subgraph's projection of the vms VM stream: which VMs exist, their tenant, provider,
 * region, labels and provider id, and when they were RUNNING. Shaped for the kit's stream follower
 * (`apply(tx, events)`, run in the transaction that also stores the follower's cursor). Idempotent:
 * an event at or below the stored version changes nothing, so a replay or a rebuild from cursor zero
 * gives the same projection. Never reads the vms subgraph's tables.
 */
export async function applyVmEvents(tx: Queryable, events: readonly VmEvent[]): Promise<void> {
  for (const event of events) await applyVmEvent(tx, event);
}

async function applyVmEvent(tx: Queryable, event: VmEvent): Promise<void> {
  const vm = event.payload;
  const deleted = event.type === 'DELETED' || vm.status === 'DELETED';
  const [applied] = await tx<{ vm_id: string }[]>`
    insert into metrics.vms (vm_id, tenant_id, name, provider, region, status, provider_id, labels, version, created_at, deleted_at, updated_at)
    values (${event.entityId}, ${event.tenantId}, ${vm.name}, ${vm.provider}, ${vm.region}, ${vm.status}, ${vm.providerId},
            ${tx.json(vm.labels ?? {})}, ${event.version}, ${vm.createdAt}::timestamptz,
            ${deleted ? event.occurredAt : null}::timestamptz, ${event.occurredAt}::timestamptz)
    on conflict (vm_id) do update set
      name = excluded.name, provider = excluded.provider, region = excluded.region, status = excluded.status,
      provider_id = coalesce(excluded.provider_id, metrics.vms.provider_id), labels = excluded.labels,
      version = excluded.version, deleted_at = coalesce(metrics.vms.deleted_at, excluded.deleted_at), updated_at = excluded.updated_at
    where metrics.vms.version < excluded.version
    returning vm_id`;
  if (!applied) return;
  if (vm.status === 'RUNNING') {
    await tx`
      insert into metrics.vm_running_intervals (vm_id, started_at)
      select ${event.entityId}, ${event.occurredAt}::timestamptz
      where not exists (select 1 from metrics.vm_running_intervals where vm_id = ${event.entityId} and stopped_at is null)`;
  } else {
    await tx`
      update metrics.vm_running_intervals set stopped_at = greatest(started_at, ${event.occurredAt}::timestamptz)
      where vm_id = ${event.entityId} and stopped_at is null`;
  }
}
