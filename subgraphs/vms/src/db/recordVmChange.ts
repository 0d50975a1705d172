import { eq, sql } from 'drizzle-orm';
import type { Executor } from './createDatabase.ts';
import type { VmRow } from './rows.ts';
import { vmEvents, vms, type VmEventType } from './schema.ts';

export type { VmEventType } from './schema.ts';

/** Fields of a VM a change may set. */
export type VmChange = Partial<Pick<VmRow, 'status' | 'providerId' | 'privateIp' | 'publicIp' | 'instanceType' | 'provider' | 'region'>>;

/**
 * Updates a VM, bumps its version and writes its event to the outbox in the same statement batch.
 * Call inside a transaction: the change and its event commit together or not at all.
 */
export async function recordVmChange(tx: Executor, vmId: string, change: VmChange, type: VmEventType, operationId: string | null): Promise<VmRow> {
  const [vm] = await tx
    .update(vms)
    .set({ ...change, version: sql`${vms.version} + 1`, updatedAt: sql`now()` })
    .where(eq(vms.id, vmId))
    .returning();
  if (!vm) throw new Error(`VM ${vmId} vanished while recording a change`);
  await insertVmEvent(tx, vm, type, operationId);
  return vm;
}

/** Writes one event for a VM as it now is. */
export async function insertVmEvent(tx: Executor, vm: VmRow, type: VmEventType, operationId: string | null): Promise<void> {
  await tx.insert(vmEvents).values({
    tenantId: vm.tenantId,
    vmId: vm.id,
    vmVersion: vm.version,
    type,
    operationId,
    // The whole VM as it is after this change: what subscribers receive, even when replayed later.
    payload: JSON.parse(JSON.stringify(vm)) as Record<string, unknown>,
  });
}
