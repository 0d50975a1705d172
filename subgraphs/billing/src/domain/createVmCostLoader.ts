import DataLoader from 'dataloader';
import type { Executor } from '../db/createDatabase.ts';
import { vmCosts, type VmCost } from './vmCost.ts';

/**
 * A per-request loader of one tenant's VM costs: the `VM.cost` fields of an `_entities` batch become
 * one {@link vmCosts} call (three statements) instead of three statements per VM. Made per request
 * with the caller's tenant, so no two tenants (or requests) ever share one; `now` is read per batch.
 */
export function createVmCostLoader(db: Executor, tenantId: string, now: () => number): DataLoader<string, VmCost> {
  return new DataLoader<string, VmCost>((vmIds) => vmCosts(db, tenantId, vmIds, now()));
}
