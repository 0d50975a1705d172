import type { Catalog } from '@novacron/catalog';
import { appError } from '@novacron/errors';
import { eq } from 'drizzle-orm';
import type { Executor } from '../db/createDatabase.ts';
import { vms } from '../db/schema.ts';
import { readUtilization, type MetricsRequester } from './readUtilization.ts';
import { decideRightsizing, rightsizingRule, type RightsizingDecision } from './rightsizing.ts';

/** A decision for one VM, with the type it is about. */
export interface VmRightsizing extends RightsizingDecision {
  currentInstanceType: string;
}

const noData = (instanceType: string, reason: string): VmRightsizing => ({
  status: 'NOT_ENOUGH_DATA',
  currentInstanceType: instanceType,
  recommendedInstanceType: null,
  monthlySavings: 0n,
  evidence: {
    windowDays: rightsizingRule.windowDays,
    hoursOfData: 0,
    cpuP995Percent: null,
    memoryP995Percent: null,
    headroomPercent: rightsizingRule.headroomPercent,
    currentVcpus: 0,
    currentMemoryGib: 0,
    requiredVcpus: null,
    requiredMemoryGib: null,
    candidatesThatFit: 0,
    reason,
  },
});

/**
 * Rightsizing of one of the tenant's VMs: its type from billing's projection (another tenant's VM is
 * NOT_FOUND), its utilization from the metrics subgraph. Without metrics (no metrics subgraph, or it is
 * down) the answer is NOT_ENOUGH_DATA with the reason, never a guess.
 */
export async function vmRightsizing(db: Executor, catalog: Catalog, metrics: MetricsRequester | null, tenantId: string, vmId: string, now: number): Promise<VmRightsizing> {
  const [vm] = await db.select().from(vms).where(eq(vms.vmId, vmId));
  if (!vm) return noData('', 'billing has not seen this VM yet');
  if (vm.tenantId !== tenantId) throw appError('NOT_FOUND', `VM ${vmId} was not found`, { kind: 'VM', id: vmId });
  const current = catalog.find(vm.provider, vm.region, vm.instanceType);
  if (!current) return noData(vm.instanceType, 'the catalog has no such instance type in this region');
  if (!metrics) return noData(vm.instanceType, 'no metrics subgraph is configured');
  let usage;
  try {
    usage = await readUtilization(metrics, vmId, now);
  } catch (error) {
    return noData(vm.instanceType, `metrics are unavailable: ${error instanceof Error ? error.message : 'request failed'}`);
  }
  return { ...decideRightsizing(current, catalog.instanceTypesIn(vm.provider, vm.region), usage), currentInstanceType: vm.instanceType };
}
