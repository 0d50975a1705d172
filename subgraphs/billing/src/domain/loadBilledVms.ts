import { and, asc, eq, gte, inArray, isNull, lt, or, type SQL } from 'drizzle-orm';
import type { Executor } from '../db/createDatabase.ts';
import { vmHistory, vms } from '../db/schema.ts';
import { billableSegments, type BillableSegment, type VmHistoryEntry } from './billableSegments.ts';
import { epochSeconds } from './utcCalendar.ts';

/** A VM's latest projected state. */
export type BilledVmRow = typeof vms.$inferSelect;

/** A VM with its history and billable segments. */
export interface BilledVm {
  vm: BilledVmRow;
  history: VmHistoryEntry[];
  segments: BillableSegment[];
}

/**
 * The tenant's VMs that existed at some point in `[from, to)` (epoch seconds), each with its history and
 * billable segments. Reads billing's own projection only.
 */
export async function loadBilledVms(db: Executor, tenantId: string, window: { from: number; to: number }, vmIds?: readonly string[]): Promise<BilledVm[]> {
  const existedInWindow = and(
    eq(vms.tenantId, tenantId),
    lt(vms.createdAt, new Date(window.to * 1000)),
    or(isNull(vms.deletedAt), gte(vms.deletedAt, new Date(window.from * 1000))),
    vmIds ? inArray(vms.vmId, [...vmIds]) : undefined,
  );
  const rows = await db.select().from(vms).where(existedInWindow).orderBy(asc(vms.createdAt), asc(vms.vmId));
  if (rows.length === 0) return [];
  // One join instead of a list of ids: the same VMs' history.
  const byVm = await loadHistories(db, and(eq(vmHistory.tenantId, tenantId), existedInWindow));
  return rows.map((vm) => {
    const history = byVm.get(vm.vmId) ?? [];
    return { vm, history, segments: billableSegments(history) };
  });
}

/**
 * The history of every VM matching `where` (over `vm_history` joined with `vms`), grouped by VM id,
 * with only the columns billing needs.
 */
export async function loadHistories(db: Executor, where: SQL | undefined): Promise<Map<string, VmHistoryEntry[]>> {
  const rows = await db
    .select({
      vmId: vmHistory.vmId,
      version: vmHistory.version,
      occurredAt: vmHistory.occurredAt,
      status: vmHistory.status,
      provider: vmHistory.provider,
      region: vmHistory.region,
      instanceType: vmHistory.instanceType,
      image: vmHistory.image,
      hasProviderResource: vmHistory.hasProviderResource,
      spot: vmHistory.spot,
      computeMicrosPerHour: vmHistory.computeMicrosPerHour,
      computePriced: vmHistory.computePriced,
      diskGb: vmHistory.diskGb,
      diskMicrosPerGbMonth: vmHistory.diskMicrosPerGbMonth,
    })
    .from(vmHistory)
    .innerJoin(vms, eq(vms.vmId, vmHistory.vmId))
    .where(where);
  const histories = new Map<string, VmHistoryEntry[]>();
  for (const { vmId, occurredAt, ...entry } of rows) {
    let history = histories.get(vmId);
    if (!history) histories.set(vmId, (history = []));
    history.push({ ...entry, at: epochSeconds(occurredAt) });
  }
  return histories;
}
