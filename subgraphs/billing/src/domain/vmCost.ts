import { appError } from '@novacron/errors';
import { eq } from 'drizzle-orm';
import type { Executor } from '../db/createDatabase.ts';
import { vms } from '../db/schema.ts';
import { computeBilledStatuses } from './billableSegments.ts';
import { totalCost } from './lineItems.ts';
import { loadBilledVms, type BilledVm } from './loadBilledVms.ts';
import { perHour, type Micros } from './money.ts';
import { startOfNextUtcMonth, startOfUtcMonth } from './utcCalendar.ts';

/** What a VM costs, in micro-dollars (USD). */
export interface VmCost {
  /** What it costs per hour right now: compute if running, plus its disk. */
  hourlyRate: Micros;
  /** Its instance type's compute price per hour (spot price for spot VMs), running or not. */
  computeHourly: Micros;
  /** Its boot disk per 730-hour month. */
  diskMonthly: Micros;
  /** Billed since the start of the current UTC month. */
  accruedMonthToDate: Micros;
  /** Accrued plus the current rates to the end of the month. */
  projectedMonth: Micros;
  currency: 'USD';
  spot: boolean;
  /** False when the catalog has no price for its type (compute billed as 0). */
  priced: boolean;
  /** The VM version billing has applied (0: not heard of yet); a change shows once this reaches it. */
  vmVersion: number;
}

/** A VM billing has not heard of yet (the projection lags the vms feed by a moment) costs nothing so far. */
const unknownVmCost: VmCost = { hourlyRate: 0n, computeHourly: 0n, diskMonthly: 0n, accruedMonthToDate: 0n, projectedMonth: 0n, currency: 'USD', spot: false, priced: true, vmVersion: 0 };

/**
 * The cost of one of the tenant's VMs as of `now` (epoch seconds). A VM of another tenant is NOT_FOUND:
 * an id alone grants nothing.
 */
export async function vmCost(db: Executor, tenantId: string, vmId: string, now: number): Promise<VmCost> {
  const [owner] = await db.select({ tenantId: vms.tenantId }).from(vms).where(eq(vms.vmId, vmId));
  if (!owner) return unknownVmCost;
  if (owner.tenantId !== tenantId) throw appError('NOT_FOUND', `VM ${vmId} was not found`, { kind: 'VM', id: vmId });
  const month = { from: startOfUtcMonth(now), to: startOfNextUtcMonth(now) };
  const [billed] = await loadBilledVms(db, tenantId, month, [vmId]);
  return billed ? costOfBilledVm(billed, month, now) : unknownVmCost;
}

/** {@link VmCost} of a loaded VM for a month window. */
export function costOfBilledVm(billed: BilledVm, month: { from: number; to: number }, now: number): VmCost {
  const latest = billed.history.at(-1);
  if (!latest) return unknownVmCost;
  const deleted = latest.status === 'DELETED';
  const openCompute = billed.segments.find((segment) => segment.kind === 'COMPUTE' && segment.end === null);
  const openDisk = billed.segments.find((segment) => segment.kind === 'DISK' && segment.end === null);
  const running = !deleted && computeBilledStatuses.has(latest.status);
  return {
    hourlyRate: (running && openCompute ? perHour(openCompute.rate) : 0n) + (openDisk ? perHour(openDisk.rate) : 0n),
    computeHourly: latest.computeMicrosPerHour,
    diskMonthly: deleted ? 0n : latest.diskMicrosPerGbMonth * BigInt(latest.diskGb),
    accruedMonthToDate: totalCost(billed.segments, month, now),
    // Open segments accrue to the as-of instant: as of the month's end, they have run the whole month.
    projectedMonth: totalCost(billed.segments, month, month.to),
    currency: 'USD',
    spot: latest.spot,
    priced: latest.computePriced !== false,
    vmVersion: Math.max(...billed.history.map((entry) => entry.version)),
  };
}
