import { isNull } from 'drizzle-orm';
import type { KitServices } from '@novacron/subgraph-kit';
import type { Executor } from './db/createDatabase.ts';
import { vms } from './db/schema.ts';
import { billableSegments, computeBilledStatuses } from './domain/billableSegments.ts';
import { loadHistories } from './domain/loadBilledVms.ts';
import { perHour, sumMicros, type Micros } from './domain/money.ts';

/** `cost_type` values: what the live VMs of a label set cost per hour now, compute and boot disks apart. */
export const infrastructureCostTypes = ['compute_hourly', 'disk_hourly'] as const;

/** One label set of `novacron_infrastructure_cost_usd` with its hourly rates in micro-dollars. */
export interface InfrastructureCost {
  provider: string;
  region: string;
  instanceType: string;
  computeHourly: Micros;
  diskHourly: Micros;
}

/**
 * What every VM that is not deleted costs per hour now, summed by its current provider, region and
 * instance type, read from billing's own projection with the rules of `VM.cost`: compute while its
 * open compute segment runs (RUNNING, REBOOTING), its boot disk from creation until deletion, so a
 * stopped VM reports its disk only. Per VM, `computeHourly + diskHourly` is its `VM.cost.hourlyRate`.
 */
export async function infrastructureCostByLabels(db: Executor): Promise<InfrastructureCost[]> {
  const histories = await loadHistories(db, isNull(vms.deletedAt));
  const byLabels = new Map<string, InfrastructureCost>();
  for (const history of histories.values()) {
    const latest = history.reduce((newest, entry) => (entry.version > newest.version ? entry : newest));
    if (latest.status === 'DELETED') continue;
    const open = billableSegments(history).filter((segment) => segment.end === null);
    const compute = open.find((segment) => segment.kind === 'COMPUTE');
    const disk = open.find((segment) => segment.kind === 'DISK');
    const key = JSON.stringify([latest.provider, latest.region, latest.instanceType]);
    let cost = byLabels.get(key);
    if (!cost) byLabels.set(key, (cost = { provider: latest.provider, region: latest.region, instanceType: latest.instanceType, computeHourly: 0n, diskHourly: 0n }));
    cost.computeHourly = sumMicros([cost.computeHourly, compute && computeBilledStatuses.has(latest.status) ? perHour(compute.rate) : 0n]);
    cost.diskHourly = sumMicros([cost.diskHourly, disk ? perHour(disk.rate) : 0n]);
  }
  return [...byLabels.values()];
}

/**
 * Exports `novacron_infrastructure_cost_usd{provider,region,instance_type,cost_type}` from billing's
 * cost projection, read when Prometheus scrapes. Labels stay bounded: provider, region and type come
 * from the catalog the VMs were validated against, and the registry caps every label's values.
 */
export function observeInfrastructureCost(metrics: KitServices['metrics'], db: Executor): void {
  metrics.gaugeFromCollect('infrastructureCost', async () =>
    (await infrastructureCostByLabels(db)).flatMap((cost) => {
      const labels = { provider: cost.provider, region: cost.region, instance_type: cost.instanceType };
      return [
        { labels: { ...labels, cost_type: 'compute_hourly' }, value: Number(cost.computeHourly) / 1e6 },
        { labels: { ...labels, cost_type: 'disk_hourly' }, value: Number(cost.diskHourly) / 1e6 },
      ];
    }),
  );
}
