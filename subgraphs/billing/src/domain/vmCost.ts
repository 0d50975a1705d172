import { appError, type AppError } from '@novacron/errors';
import { inArray } from 'drizzle-orm';
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
  const [cost] = await vmCosts(db, tenantId, [vmId], now);
  if (cost instanceof Error) throw cost;
  return cost!;
}

/** VM ids are UUIDs; anything else can never be a VM (and would fail the whole statement). */
const isUuid = (value: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);

/**
 * {@link vmCost} of many VMs in three statements whatever their number (owners, VM rows, histories):
 * one entry per id, in order, a NOT_FOUND error for a VM of another tenant. A dashboard's `_entities`
 * batch of 50 VMs used to cost 150 statements.
 */
export async function vmCosts(db: Executor, tenantId: string, vmIds: readonly string[], now: number): Promise<(VmCost | AppError)[]> {
  const wanted = [...new Set(vmIds.filter(isUuid).map((id) => id.toLowerCase()))];
  const owners = wanted.length === 0 ? [] : await db.select({ vmId: vms.vmId, tenantId: vms.tenantId }).from(vms).where(inArray(vms.vmId, wanted));
  const ownerOf = new Map(owners.map((owner) => [owner.vmId, owner.tenantId]));
  const owned = owners.filter((owner) => owner.tenantId === tenantId).map((owner) => owner.vmId);
  const month = { from: startOfUtcMonth(now), to: startOfNextUtcMonth(now) };
  const billed = owned.length === 0 ? [] : await loadBilledVms(db, tenantId, month, owned);
  const billedById = new Map(billed.map((entry) => [entry.vm.vmId, entry]));
  return vmIds.map((vmId) => {
    const id = vmId.toLowerCase();
    const owner = ownerOf.get(id);
    if (owner === undefined) return unknownVmCost;
    if (owner !== tenantId) return appError('NOT_FOUND', `VM ${vmId} was not found`, { kind: 'VM', id: vmId });
    const entry = billedById.get(id);
    return entry ? costOfBilledVm(entry, month, now) : unknownVmCost;
  });
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
