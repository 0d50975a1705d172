import type { BudgetScope } from '../db/schema.ts';
import { matchesScope } from './budgetScope.ts';
import { totalCost } from './lineItems.ts';
import type { BilledVm } from './loadBilledVms.ts';
import type { Micros } from './money.ts';

/** A budget's spend in a period: actual so far, and forecast to the period's end at current rates. */
export interface BudgetSpend {
  spent: Micros;
  forecast: Micros;
}

/**
 * Spend of the VMs in `scope` over `period` as of `now`. The forecast lets every still-accruing charge
 * (compute of running VMs, disks of existing VMs) run to the end of the period at its current rate.
 */
export function budgetSpend(billed: readonly BilledVm[], scope: BudgetScope, period: { from: number; to: number }, now: number): BudgetSpend {
  let spent = 0n;
  let forecast = 0n;
  for (const vm of billed) {
    if (!matchesScope(scope, vm.vm)) continue;
    spent += totalCost(vm.segments, period, now);
    forecast += totalCost(vm.segments, period, period.to);
  }
  return { spent, forecast };
}
