import { sql } from 'drizzle-orm';
import type { SqlExecutor } from '@novacron/subgraph-kit';
import type { VmEvent } from './VmEvent.ts';

/**
 * The metrics subgraph's projection of the vms VM stream: which VMs exist, their tenant, provider,
 * region, labels and provider id, and when they were RUNNING. It is the kit stream follower's
 * `apply(tx, events)`, run in the transaction that also advances the follower's cursor. Idempotent:
 * an event at or below the stored version changes nothing, so a replay or a rebuild from cursor zero
 * gives the same projection. Never reads the vms subgraph's tables.
 */
export async function applyVmEvents(tx: SqlExecutor, events: readonly VmEvent[]): Promise<void> {
  for (const event of events) await applyVmEvent(tx, event);
}

async function applyVmEvent(tx: SqlExecutor, event: VmEvent): Promise<void> {
  const vm = event.payload;
  const deleted = event.type === 'DELETED' || vm.status === 'DELETED';
  const applied = (await tx.execute(sql`
    insert into metrics.vms (vm_id, tenant_id, name, provider, region, status, provider_id, labels, version, created_at, deleted_at, updated_at)
    values (${event.entityId}::uuid, ${event.tenantId}, ${vm.name}, ${vm.provider}, ${vm.region}, ${vm.status}, ${vm.providerId},
            ${JSON.stringify(vm.labels ?? {})}::text::jsonb, ${event.version}, ${vm.createdAt}::timestamptz,
            ${deleted ? event.occurredAt : null}::timestamptz, ${event.occurredAt}::timestamptz)
    on conflict (vm_id) do update set
      name = excluded.name, provider = excluded.provider, region = excluded.region, status = excluded.status,
      provider_id = coalesce(excluded.provider_id, metrics.vms.provider_id), labels = excluded.labels,
      version = excluded.version, deleted_at = coalesce(metrics.vms.deleted_at, excluded.deleted_at), updated_at = excluded.updated_at
    where metrics.vms.version < excluded.version
    returning vm_id`)) as unknown[];
  if (applied.length === 0) return;
  if (vm.status === 'RUNNING') {
    await tx.execute(sql`
      insert into metrics.vm_running_intervals (vm_id, started_at)
      select ${event.entityId}::uuid, ${event.occurredAt}::timestamptz
      where not exists (select 1 from metrics.vm_running_intervals where vm_id = ${event.entityId}::uuid and stopped_at is null)`);
  } else {
    await tx.execute(sql`
      update metrics.vm_running_intervals set stopped_at = greatest(started_at, ${event.occurredAt}::timestamptz)
      where vm_id = ${event.entityId}::uuid and stopped_at is null`);
  }
}
