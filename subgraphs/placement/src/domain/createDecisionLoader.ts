import DataLoader from 'dataloader';
import type { Executor } from '../db/createDatabase.ts';
import { findDecisionsForVms, type PlacementDecision } from './decisionStore.ts';

/**
 * A per-request loader of the placement decisions of one tenant's VMs: the `VM.placement` fields of an
 * `_entities` batch become one statement instead of one per VM. Made per request with the caller's
 * tenant, so no two tenants (or requests) ever share one.
 */
export function createDecisionLoader(db: Executor, tenantId: string): DataLoader<string, PlacementDecision | null> {
  return new DataLoader((vmIds: readonly string[]) => findDecisionsForVms(db, tenantId, vmIds));
}
