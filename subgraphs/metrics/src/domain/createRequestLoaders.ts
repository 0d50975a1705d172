import DataLoader from 'dataloader';
import type { MetricsServices } from '../context.ts';
import { readLatestSamples } from './readLatestSamples.ts';
import type { Sample } from './Sample.ts';
import { metricsOutbox } from './sampleStream.ts';
import { findVms, type KnownVm } from './vmDirectory.ts';

/** A latest sample with the sample stream's head at the time it was read. */
export interface LatestSample extends Sample {
  /** Subscribing `vmMetrics(after:)` with it delivers exactly the samples stored after this read. */
  cursor: string;
}

/** The loaders of one request. */
export interface RequestLoaders {
  /** Projected VMs by id (any tenant: the caller checks it); null when the projection has not seen it. */
  vmById: DataLoader<string, KnownVm | null>;
  /** A VM's latest sample of each kind. */
  latestSamples: DataLoader<string, LatestSample[]>;
}

/**
 * Per-request loaders: the VMs of an `_entities` batch are one projection read and one latest-samples
 * read plus one read of the stream head, instead of three statements per VM. Made per request, after
 * the caller's tenant was checked, so no two requests (or tenants) share what they loaded.
 */
export function createRequestLoaders(services: Pick<MetricsServices, 'sql' | 'db'>): RequestLoaders {
  return {
    vmById: new DataLoader(async (vmIds: readonly string[]) => {
      const known = await findVms(services.sql, vmIds);
      return vmIds.map((vmId) => known.get(vmId.toLowerCase()) ?? null);
    }),
    latestSamples: new DataLoader(async (vmIds: readonly string[]) => {
      const latest = await readLatestSamples(services.sql, vmIds);
      // The head is read after the samples, so a subscriber resuming from it misses none stored since.
      const { endCursor } = await metricsOutbox.readFeed(services.db, { stream: 'sample', first: 1 });
      return vmIds.map((vmId) => (latest.get(vmId.toLowerCase()) ?? []).map((sample) => ({ ...sample, cursor: endCursor })));
    }),
  };
}
