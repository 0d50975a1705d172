import { and, eq, inArray, sql } from 'drizzle-orm';
import type { ManagedVmStatus, ReconcileFinding, VmFacts } from '@novacron/providers';
import type { Database } from '../db/createDatabase.ts';
import type { VmRow } from '../db/rows.ts';
import { operations, vmEvents, vms } from '../db/schema.ts';

/** What a DRIFTED event carries beside the VM as it now is: the facts before and after, and why. */
export interface VmDrift {
  before: VmFacts;
  after: VmFacts;
  /** Set when the instance vanished. */
  reason?: string;
}

type Applicable = Extract<ReconcileFinding, { kind: 'DRIFTED' | 'VANISHED' }>;

/**
 * Gives a VM the state its provider reports (a DRIFTED finding) or ERROR (a VANISHED one), with a
 * DRIFTED event carrying before/after, in one transaction. Nothing happens when the VM changed since
 * the reconciler read it (`version`) or an operation is now queued or running on it: that change is
 * NovaCron's own, and the next reconciliation judges again. Returns the VM as changed, or null.
 */
export async function recordDrift(db: Database, vm: Pick<VmRow, 'id' | 'version' | 'status' | 'instanceType'>, finding: Applicable): Promise<VmRow | null> {
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(vms).where(eq(vms.id, vm.id)).for('update');
    if (!current || current.version !== vm.version) return null;
    const [active] = await tx
      .select({ id: operations.id })
      .from(operations)
      .where(and(eq(operations.vmId, vm.id), inArray(operations.status, ['QUEUED', 'RUNNING'])))
      .limit(1);
    if (active) return null;
    const before: VmFacts = { status: current.status as ManagedVmStatus, instanceType: current.instanceType };
    const drift: VmDrift =
      finding.kind === 'DRIFTED'
        ? { before, after: { status: finding.after.status, instanceType: finding.after.instanceType || current.instanceType } }
        : { before, after: { status: 'ERROR', instanceType: current.instanceType }, reason: finding.reason };
    const change =
      finding.kind === 'DRIFTED'
        ? { status: drift.after.status, instanceType: drift.after.instanceType, privateIp: finding.after.privateIp, publicIp: finding.after.publicIp }
        : { status: 'ERROR' as const, publicIp: null };
    const [changed] = await tx
      .update(vms)
      .set({ ...change, version: sql`${vms.version} + 1`, updatedAt: sql`now()` })
      .where(eq(vms.id, vm.id))
      .returning();
    if (!changed) return null;
    // The payload is the VM as it now is (what every follower projects, billing included) plus the drift.
    await tx.insert(vmEvents).values({
      tenantId: changed.tenantId,
      vmId: changed.id,
      vmVersion: changed.version,
      type: 'DRIFTED',
      operationId: null,
      payload: { ...(JSON.parse(JSON.stringify(changed)) as Record<string, unknown>), drift },
    });
    return changed;
  });
}
