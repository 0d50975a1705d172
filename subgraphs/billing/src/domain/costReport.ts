import { badInput } from '@novacron/errors';
import type { Executor } from '../db/createDatabase.ts';
import { lineItems } from './lineItems.ts';
import { loadBilledVms } from './loadBilledVms.ts';
import { sumMicros, type Micros } from './money.ts';
import { splitIntoBuckets, startOfBucket, type CalendarStep } from './utcCalendar.ts';

/** Dimensions a report can be grouped by. */
export type CostGroupBy = 'PROVIDER' | 'REGION' | 'INSTANCE_TYPE' | 'LABEL';

/** What a report asks for; instants in epoch seconds. */
export interface CostReportRequest {
  from: number;
  to: number;
  groupBy: readonly CostGroupBy[];
  labelKey?: string | null;
  step: CalendarStep;
}

/** One bucket of a series. */
export interface CostBucket {
  start: number;
  end: number;
  amount: Micros;
}

/** The values of a group's dimensions (only those grouped by are set; a VM without the label has `label: null`). */
export interface CostGroupKey {
  provider?: string;
  region?: string;
  instanceType?: string;
  label?: string | null;
}

/** One group of a report. */
export interface CostGroup {
  key: CostGroupKey;
  total: Micros;
  buckets: CostBucket[];
}

export interface CostReport {
  from: number;
  to: number;
  step: CalendarStep;
  currency: 'USD';
  total: Micros;
  buckets: CostBucket[];
  groups: CostGroup[];
}

/** The longest report, in days: 13 months of daily rows. */
export const maxReportDays = 400;

/** Refuses a malformed request with the field at fault. */
export function validateCostReportRequest(request: CostReportRequest): void {
  if (!(request.to > request.from)) throw badInput('to', '`to` must be after `from`');
  if (request.to - request.from > maxReportDays * 86_400) throw badInput('to', `a report covers at most ${maxReportDays} days`);
  if (request.groupBy.includes('LABEL') && !request.labelKey) throw badInput('labelKey', 'grouping by LABEL needs a labelKey');
  if (new Set(request.groupBy).size !== request.groupBy.length) throw badInput('groupBy', 'each dimension may appear once');
}

/**
 * The tenant's costs in `[from, to)` as of `now`, per step and per group. Amounts are sums of the same
 * rounded daily line items, so every group's buckets add up to its total and the groups add up to the
 * report's total exactly. Provider, region and instance type are those of each charge (a resize moves
 * later charges to the new type's group); labels are the VM's current labels.
 */
export async function costReport(db: Executor, tenantId: string, request: CostReportRequest, now: number): Promise<CostReport> {
  validateCostReportRequest(request);
  const window = { from: request.from, to: request.to };
  const bucketRanges = splitIntoBuckets(request.from, request.to, request.step);
  const bucketIndex = new Map(bucketRanges.map((range, index) => [range.start, index]));
  const indexOf = (day: number) => bucketIndex.get(Math.max(startOfBucket(day, request.step), request.from)) ?? 0;
  const groups = new Map<string, { key: CostGroupKey; amounts: Micros[] }>();
  const totals = bucketRanges.map(() => 0n);

  for (const billed of await loadBilledVms(db, tenantId, window)) {
    for (const item of lineItems(billed.segments, window, now)) {
      const key: CostGroupKey = {};
      for (const dimension of request.groupBy) {
        if (dimension === 'PROVIDER') key.provider = item.provider;
        else if (dimension === 'REGION') key.region = item.region;
        else if (dimension === 'INSTANCE_TYPE') key.instanceType = item.instanceType;
        else key.label = billed.vm.labels[request.labelKey!] ?? null;
      }
      const id = JSON.stringify(key);
      let group = groups.get(id);
      if (!group) groups.set(id, (group = { key, amounts: bucketRanges.map(() => 0n) }));
      const index = indexOf(item.start);
      group.amounts[index]! += item.micros;
      totals[index]! += item.micros;
    }
  }

  const toBuckets = (amounts: Micros[]): CostBucket[] => bucketRanges.map((range, index) => ({ ...range, amount: amounts[index]! }));
  const rows = [...groups.values()].map((group) => ({ key: group.key, total: sumMicros(group.amounts), buckets: toBuckets(group.amounts) }));
  rows.sort((a, b) => (a.total === b.total ? JSON.stringify(a.key).localeCompare(JSON.stringify(b.key)) : a.total > b.total ? -1 : 1));
  return { from: request.from, to: request.to, step: request.step, currency: 'USD', total: sumMicros(totals), buckets: toBuckets(totals), groups: rows };
}
