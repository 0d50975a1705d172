import { inArray, sql } from 'drizzle-orm';
import type { Catalog } from '@novacron/catalog';
import type { VmStreamEvent, VmStreamPayload } from '@novacron/events';
import type { Executor } from '../db/createDatabase.ts';
import { createOutcomes, vmUsage } from '../db/schema.ts';
import { confirmReservations } from './reserveCapacity.ts';

/** One followed event of the vms `vm` stream: the contract @novacron/events declares for every follower. */
export type VmEvent = VmStreamEvent;

/** What a batch changed: whose usage, and whether the create outcomes every tenant's ranking reads. */
export interface UsageChanges {
  tenants: Set<string>;
  outcomes: boolean;
}

/** Statuses a create passes through before the VM runs; leaving them for RUNNING is a successful create. */
const creatingStatuses = new Set(['PENDING', 'PROVISIONING']);

/**
 * The usage projection: applies followed VM events in the follower's transaction (the follower stores
 * its cursor in the same one). Keeps one row per VM with its vCPUs (from the catalog) and status,
 * ignoring events not newer than the stored version, so a replay or a rebuild from cursor zero gives
 * the same rows. A VM's first appearance confirms its operation's reservation; a create reaching
 * RUNNING records a successful create outcome for the offering (reliability scores).
 */
export function createVmUsageProjection(catalog: Catalog) {
  return async function apply(tx: Executor, events: readonly VmEvent[]): Promise<UsageChanges> {
    const changed: UsageChanges = { tenants: new Set(), outcomes: false };
    if (events.length === 0) return changed;
    const ids = [...new Set(events.map((event) => event.payload.id))];
    const stored = await tx.select({ vmId: vmUsage.vmId, status: vmUsage.status, version: vmUsage.version }).from(vmUsage).where(inArray(vmUsage.vmId, ids));
    const known = new Map(stored.map((row) => [row.vmId, row]));
    const outcomes: (typeof createOutcomes.$inferInsert)[] = [];
    for (const event of events) {
      const vm = event.payload;
      const previous = known.get(vm.id);
      if (previous && previous.version >= vm.version) continue;
      const row = {
        vmId: vm.id,
        tenantId: vm.tenantId,
        provider: vm.provider,
        region: vm.region,
        instanceType: vm.instanceType,
        vcpus: catalog.find(vm.provider, vm.region, vm.instanceType)?.vcpus ?? 0,
        status: vm.status,
        version: vm.version,
        updatedAt: new Date(event.occurredAt),
      };
      if (vm.status === 'RUNNING' && (previous === undefined ? event.type === 'CREATED' : creatingStatuses.has(previous.status))) {
        outcomes.push({ provider: vm.provider, region: vm.region, instanceType: vm.instanceType, outcome: 'SUCCEEDED', occurredAt: row.updatedAt });
      }
      known.set(vm.id, { vmId: vm.id, status: vm.status, version: vm.version });
      changed.tenants.add(vm.tenantId);
      const { vmId: _id, ...changes } = row;
      await tx.insert(vmUsage).values(row).onConflictDoUpdate({ target: vmUsage.vmId, set: changes, setWhere: sql`${vmUsage.version} < excluded.version` });
    }
    if (outcomes.length > 0) await tx.insert(createOutcomes).values(outcomes);
    changed.outcomes = outcomes.length > 0;
    // A confirmed reservation stops counting once its VM does: the VM's tenant is already in `tenants`.
    await confirmReservations(tx, ids);
    return changed;
  };
}
