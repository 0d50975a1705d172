import type { CatalogEntry } from '@novacron/catalog';
import { parseUsd, type Micros } from './money.ts';

/** AWS Compute Optimizer's rule, as DESIGN-NOTES §7 and docs/billing.md state it. */
export const rightsizingRule = Object.freeze({ windowDays: 14, percentile: 99.5, headroomPercent: 20, minimumHours: 30, hoursPerMonth: 730 });

/** Utilization over the window, from the metrics subgraph. */
export interface UtilizationSummary {
  /** P99.5 of CPU utilization, percent of the VM's vCPUs; null when there are no samples. */
  cpuP995: number | null;
  /** P99.5 of memory utilization, percent; null when the VM reports no memory metric. */
  memoryP995: number | null;
  /** Hours covered by samples in the window. */
  hoursOfData: number;
}

export type RightsizingStatus = 'OK' | 'OVERSIZED' | 'UNDERSIZED' | 'NOT_ENOUGH_DATA';

/** What rightsizing decided and why. */
export interface RightsizingDecision {
  status: RightsizingStatus;
  recommendedInstanceType: string | null;
  /** (current − recommended) hourly price × 730 h; negative when the fix costs more. */
  monthlySavings: Micros;
  evidence: {
    windowDays: number;
    hoursOfData: number;
    cpuP995Percent: number | null;
    memoryP995Percent: number | null;
    headroomPercent: number;
    currentVcpus: number;
    currentMemoryGib: number;
    requiredVcpus: number | null;
    requiredMemoryGib: number | null;
    candidatesThatFit: number;
    reason: string;
  };
}

/**
 * The instance family a type belongs to: `m6i.large` → `m6i`, `n2-standard-4` → `n2-standard`,
 * `Standard_D4s_v5` → `Standard_D#s_v5`.
 */
export function instanceFamily(provider: string, instanceType: string): string {
  if (provider === 'aws') return instanceType.split('.')[0] ?? instanceType;
  if (provider === 'gcp') return instanceType.replace(/-\d+$/, '');
  const azure = /^(Standard_[A-Z]+)\d+([a-z]*)_(v\d+)$/.exec(instanceType);
  return azure ? `${azure[1]}#${azure[2]}_${azure[3]}` : instanceType;
}

/**
 * Compute Optimizer's decision for one VM: needed capacity = current capacity × P99.5 utilization × 1.2
 * (memory: the current size when no memory metric exists); the cheapest type in the same provider and
 * region, same architecture and accelerators, that fits, looking in the VM's own family first (same
 * vCPU:memory shape, same generation) and in other families only when none of its own fits.
 * Fewer than 30 hours of data is NOT_ENOUGH_DATA.
 */
export function decideRightsizing(current: CatalogEntry, offered: readonly CatalogEntry[], usage: UtilizationSummary): RightsizingDecision {
  const base = {
    windowDays: rightsizingRule.windowDays,
    hoursOfData: usage.hoursOfData,
    cpuP995Percent: usage.cpuP995,
    memoryP995Percent: usage.memoryP995,
    headroomPercent: rightsizingRule.headroomPercent,
    currentVcpus: current.vcpus,
    currentMemoryGib: current.memoryGib,
  };
  if (usage.cpuP995 === null || usage.hoursOfData < rightsizingRule.minimumHours) {
    return {
      status: 'NOT_ENOUGH_DATA',
      recommendedInstanceType: null,
      monthlySavings: 0n,
      evidence: { ...base, requiredVcpus: null, requiredMemoryGib: null, candidatesThatFit: 0, reason: `needs at least ${rightsizingRule.minimumHours} hours of CPU data in ${rightsizingRule.windowDays} days` },
    };
  }
  const headroom = 1 + rightsizingRule.headroomPercent / 100;
  const requiredVcpus = round3(current.vcpus * (usage.cpuP995 / 100) * headroom);
  const requiredMemoryGib = usage.memoryP995 === null ? current.memoryGib : round3(current.memoryGib * (usage.memoryP995 / 100) * headroom);
  const fits = (entry: CatalogEntry) =>
    entry.arch === current.arch && entry.gpuCount === current.gpuCount && entry.gpuName === current.gpuName && entry.vcpus >= requiredVcpus && entry.memoryGib >= requiredMemoryGib;
  const fitting = offered.filter((entry) => entry.provider === current.provider && entry.region === current.region && fits(entry));
  const family = instanceFamily(current.provider, current.instanceType);
  const cheapest = (entries: CatalogEntry[]) =>
    [...entries].sort((a, b) => a.priceHourUsd - b.priceHourUsd || a.vcpus - b.vcpus || a.instanceType.localeCompare(b.instanceType))[0];
  const sameFamily = fitting.filter((entry) => instanceFamily(entry.provider, entry.instanceType) === family);
  const chosen = cheapest(sameFamily) ?? cheapest(fitting);
  const currentFits = fits(current);
  const evidence = { ...base, requiredVcpus, requiredMemoryGib, candidatesThatFit: fitting.length };
  if (!chosen) {
    return { status: 'UNDERSIZED', recommendedInstanceType: null, monthlySavings: 0n, evidence: { ...evidence, reason: 'no type in this region fits the measured load' } };
  }
  const monthlySavings = (parseUsd(current.priceHourUsd) - parseUsd(chosen.priceHourUsd)) * BigInt(rightsizingRule.hoursPerMonth);
  if (!currentFits) {
    return { status: 'UNDERSIZED', recommendedInstanceType: chosen.instanceType, monthlySavings, evidence: { ...evidence, reason: 'the current type is below the measured load plus headroom' } };
  }
  if (chosen.instanceType !== current.instanceType && monthlySavings > 0n) {
    return { status: 'OVERSIZED', recommendedInstanceType: chosen.instanceType, monthlySavings, evidence: { ...evidence, reason: 'a cheaper type fits the measured load plus headroom' } };
  }
  return { status: 'OK', recommendedInstanceType: current.instanceType, monthlySavings: 0n, evidence: { ...evidence, reason: 'the current type is the cheapest that fits' } };
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
