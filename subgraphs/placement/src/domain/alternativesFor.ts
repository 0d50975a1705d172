import { and, eq } from 'drizzle-orm';
import type { Catalog } from '@novacron/catalog';
import { badInput } from '@novacron/errors';
import type { Executor } from '../db/createDatabase.ts';
import { vmUsage } from '../db/schema.ts';
import { loadPlacementState, type HistoryWindows } from './loadPlacementState.ts';
import { offeringKey } from './PlacementPolicy.ts';
import { monthlyPriceOf, roundMoney } from './prices.ts';
import { rankPlacements, type PlacementCandidate } from './rankPlacements.ts';

/** Another place a VM could run, with the monthly difference against its current price. */
export interface PlacementAlternative {
  candidate: PlacementCandidate;
  monthlyDifference: number;
}

/**
 * `VM.alternatives`: offerings at most as expensive as the VM's current one that still have its
 * vCPUs, memory, architecture and accelerators, ranked by the tenant's policy. The VM is looked up
 * in the usage projection of the caller's tenant, so another tenant's VM id yields nothing.
 */
export async function alternativesFor(db: Executor, catalog: Catalog, windows: HistoryWindows, tenantId: string, vmId: string, first: number): Promise<PlacementAlternative[]> {
  if (!Number.isInteger(first) || first < 0 || first > 50) throw badInput('first', 'first must be between 0 and 50');
  const [vm] = await db.select().from(vmUsage).where(and(eq(vmUsage.vmId, vmId), eq(vmUsage.tenantId, tenantId)));
  if (!vm || vm.status === 'DELETED') return [];
  const current = catalog.find(vm.provider, vm.region, vm.instanceType);
  if (!current) return [];
  const state = await loadPlacementState(db, tenantId, windows);
  const requirements = {
    vcpus: current.vcpus,
    memoryGib: current.memoryGib,
    arch: current.arch,
    gpu: current.gpuCount > 0 && current.gpuName ? { name: current.gpuName, count: current.gpuCount } : null,
    providers: null,
    regions: null,
    preferRegions: [vm.region],
    maxHourlyPrice: current.priceHourUsd,
    spot: false,
  };
  const ranked = rankPlacements(catalog.entries, requirements, state, first + 1);
  const currentMonthly = monthlyPriceOf(current.priceHourUsd);
  return ranked.candidates
    .filter((candidate) => offeringKey(candidate.provider, candidate.region, candidate.instanceType) !== offeringKey(vm.provider, vm.region, vm.instanceType))
    .slice(0, first)
    .map((candidate) => ({ candidate, monthlyDifference: roundMoney(candidate.monthlyPrice - currentMonthly) }));
}
