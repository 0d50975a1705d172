import { sql } from 'drizzle-orm';
import type { Catalog } from '@novacron/catalog';
import type { VmStreamEvent } from '@novacron/events';
import type { SqlExecutor } from '@novacron/subgraph-kit';

/** One followed event of the vms `vm` stream: the contract @novacron/events declares for every follower. */
export type VmEvent = VmStreamEvent;

/** What a batch changed: whose usage, and whether the create outcomes every tenant's ranking reads. */
export interface UsageChanges {
  tenants: Set<string>;
  outcomes: boolean;
}

/** Statuses a create passes through before the VM runs; leaving them for RUNNING is a successful create. */
const creatingStatuses = new Set(['PENDING', 'PROVISIONING']);

interface UsageRow {
  vm_id: string;
  tenant_id: string;
  provider: string;
  region: string;
  instance_type: string;
  vcpus: number;
  status: string;
  version: number;
  updated_at: string;
}

/**
 * The usage projection: applies followed VM events in the follower's transaction (the follower stores
 * its cursor in the same one). Keeps one row per VM with its vCPUs (from the catalog) and status,
 * ignoring events not newer than the stored version, so a replay or a rebuild from cursor zero gives
 * the same rows. A VM's first appearance confirms its operation's reservation; a create reaching
 * RUNNING records a successful create outcome for the offering (reliability scores).
 *
 * A page costs two statements whatever its size: one read of the stored rows, then one write (every
 * VM's newest row, the outcomes and the confirmations, as JSON sets). Each event used to be its own
 * drizzle upsert: the query builder was half of the follower's CPU (docs/benchmarks.md).
 */
export function createVmUsageProjection(catalog: Catalog) {
  return async function apply(tx: SqlExecutor, events: readonly VmEvent[]): Promise<UsageChanges> {
    const changed: UsageChanges = { tenants: new Set(), outcomes: false };
    if (events.length === 0) return changed;
    const ids = [...new Set(events.map((event) => event.payload.id))];
    const stored = (await tx.execute(
      sql`select vm_id as "vmId", status, version from placement.vm_usage where vm_id = any(${`{${ids.join(',')}}`}::uuid[])`,
    )) as { vmId: string; status: string; version: number }[];
    const known = new Map(stored.map((row) => [row.vmId, row]));
    // The newest row per VM: the events of a page come in order, so a later one replaces an earlier one.
    const rows = new Map<string, UsageRow>();
    const outcomes: { provider: string; region: string; instance_type: string; occurred_at: string }[] = [];
    for (const event of events) {
      const vm = event.payload;
      const previous = known.get(vm.id);
      if (previous && previous.version >= vm.version) continue;
      const updatedAt = new Date(event.occurredAt).toISOString();
      if (vm.status === 'RUNNING' && (previous === undefined ? event.type === 'CREATED' : creatingStatuses.has(previous.status))) {
        outcomes.push({ provider: vm.provider, region: vm.region, instance_type: vm.instanceType, occurred_at: updatedAt });
      }
      known.set(vm.id, { vmId: vm.id, status: vm.status, version: vm.version });
      changed.tenants.add(vm.tenantId);
      rows.set(vm.id, {
        vm_id: vm.id,
        tenant_id: vm.tenantId,
        provider: vm.provider,
        region: vm.region,
        instance_type: vm.instanceType,
        vcpus: catalog.find(vm.provider, vm.region, vm.instanceType)?.vcpus ?? 0,
        status: vm.status,
        version: vm.version,
        updated_at: updatedAt,
      });
    }
    changed.outcomes = outcomes.length > 0;
    // A confirmed reservation stops counting once its VM does: the VM's tenant is already in `tenants`.
    await tx.execute(sql`
      with usage as (
        insert into placement.vm_usage (vm_id, tenant_id, provider, region, instance_type, vcpus, status, version, updated_at)
        select vm_id, tenant_id, provider, region, instance_type, vcpus, status, version, updated_at
        from jsonb_to_recordset(${JSON.stringify([...rows.values()])}::jsonb)
          as r(vm_id uuid, tenant_id text, provider text, region text, instance_type text, vcpus integer, status text, version integer, updated_at timestamptz)
        on conflict (vm_id) do update set
          tenant_id = excluded.tenant_id, provider = excluded.provider, region = excluded.region, instance_type = excluded.instance_type,
          vcpus = excluded.vcpus, status = excluded.status, version = excluded.version, updated_at = excluded.updated_at
        where placement.vm_usage.version < excluded.version
      ), outcomes as (
        insert into placement.create_outcomes (provider, region, instance_type, outcome, occurred_at)
        select provider, region, instance_type, 'SUCCEEDED', occurred_at
        from jsonb_to_recordset(${JSON.stringify(outcomes)}::jsonb) as o(provider text, region text, instance_type text, occurred_at timestamptz)
      )
      update placement.reservations set status = 'CONFIRMED', updated_at = now()
      where vm_id = any(${`{${ids.join(',')}}`}::uuid[]) and status = 'HELD'`);
    return changed;
  };
}
