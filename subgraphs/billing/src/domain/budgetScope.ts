import type { BudgetScope } from '../db/schema.ts';

/** What a scope is matched against: a VM or a VM about to be created. */
export interface ScopedVm {
  provider: string;
  region: string;
  labels: Record<string, string>;
}

/** Whether a VM falls in a scope: every non-empty list matches (any provider listed, any region listed, every label selector). */
export function matchesScope(scope: BudgetScope, vm: ScopedVm): boolean {
  if (scope.providers.length > 0 && !scope.providers.includes(vm.provider)) return false;
  if (scope.regions.length > 0 && !scope.regions.includes(vm.region)) return false;
  return scope.labels.every((selector) => (selector.value == null ? Object.hasOwn(vm.labels, selector.key) : vm.labels[selector.key] === selector.value));
}
