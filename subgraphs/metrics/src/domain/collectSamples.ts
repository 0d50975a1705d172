import type { ProviderDriver } from '@novacron/providers';
import { countRefusal, ingestSamples, type IngestOptions, type IngestResult } from './ingestSamples.ts';
import type { Queryable } from './Queryable.ts';
import type { Sample } from './Sample.ts';
import { listRunningVms } from './vmDirectory.ts';

/** The drivers the collector asks, by provider name (a `ProviderRegistry` fits). */
export interface MetricsDrivers {
  get(name: string): Pick<ProviderDriver, 'metrics'> | undefined;
}

/** What one collection round did. */
export interface CollectResult extends IngestResult {
  /** The samples stored (each also a `sample` event, written in the same transaction). */
  samples: Sample[];
  /** Providers whose driver failed this round (their VMs are tried again next round). */
  failedProviders: { provider: string; error: unknown }[];
}

/**
 * One pull round: asks each provider's driver for the samples of its VMs that are RUNNING according
 * to the projection, for `from < t <= to`, and stores them. Samples the driver reports for a VM it was
 * not asked about, or from before the VM's current run began, are refused and counted.
 */
export async function collectSamples(sql: Queryable, drivers: MetricsDrivers, window: { from: Date; to: Date }, options: IngestOptions): Promise<CollectResult> {
  const running = await listRunningVms(sql);
  const result: CollectResult = { accepted: 0, refused: {}, samples: [], failedProviders: [] };
  const byProvider = new Map<string, typeof running>();
  for (const vm of running) {
    const list = byProvider.get(vm.provider);
    if (list) list.push(vm);
    else byProvider.set(vm.provider, [vm]);
  }
  const collected: Sample[] = [];
  for (const [provider, vms] of byProvider) {
    const driver = drivers.get(provider);
    if (!driver) {
      result.failedProviders.push({ provider, error: new Error(`no driver named "${provider}"`) });
      continue;
    }
    const since = new Map(vms.map((vm) => [vm.vmId, vm.runningSince.getTime()]));
    try {
      const samples = await driver.metrics({
        instances: vms.map((vm) => ({ providerId: vm.providerId!, region: vm.region, vmId: vm.vmId, labels: vm.labels })),
        from: window.from,
        to: window.to,
      });
      for (const sample of samples) {
        const start = since.get(sample.vmId);
        if (start === undefined) countRefusal(result, 'UNKNOWN_VM');
        else if (sample.t.getTime() < start) countRefusal(result, 'NOT_RUNNING');
        else collected.push(sample);
      }
    } catch (error) {
      result.failedProviders.push({ provider, error });
    }
  }
  const tenants = new Map(running.map((vm) => [vm.vmId, vm.tenantId]));
  const store = async (tx: Queryable) => {
    await ingestSamples(tx, collected, { ...options, liveTenantOf: (vmId) => tenants.get(vmId) }, result);
  };
  if ('begin' in sql) await sql.begin(store);
  else await store(sql);
  result.samples = result.stored ?? [];
  return result;
}
