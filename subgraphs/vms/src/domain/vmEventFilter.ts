import { badInput } from '@novacron/errors';
import type { VmRow } from '../db/rows.ts';
import { parseId } from './parseId.ts';

/** A `vmEvents` filter, validated. */
export interface VmEventFilter {
  ids: string[] | null;
  labels: { key: string; value?: string | null }[];
  provider: string | null;
  region: string | null;
}

/** Validates `vmEvents`' filter: ids must be VM ids (at most 1000), label keys 1 to 63 characters. */
export function parseVmEventFilter(raw: unknown): VmEventFilter {
  const filter = (raw ?? {}) as { ids?: string[] | null; labels?: { key: string; value?: string | null }[] | null; provider?: string | null; region?: string | null };
  if ((filter.ids?.length ?? 0) > 1_000) throw badInput('filter.ids', 'filter.ids may name at most 1000 VMs');
  const ids = filter.ids?.map((id, index) => parseId(`filter.ids.${index}`, id)) ?? null;
  for (const [index, selector] of (filter.labels ?? []).entries()) {
    if (selector.key.length === 0 || selector.key.length > 63) throw badInput(`filter.labels.${index}.key`, 'label keys are 1 to 63 characters');
  }
  return { ids: ids && ids.length > 0 ? ids : null, labels: filter.labels ?? [], provider: filter.provider ?? null, region: filter.region ?? null };
}

/** Whether a VM (as an event recorded it) matches a subscriber's filter. */
export function matchesVmEventFilter(vm: Pick<VmRow, 'id' | 'provider' | 'region' | 'labels'>, filter: VmEventFilter): boolean {
  if (filter.ids && !filter.ids.includes(vm.id)) return false;
  if (filter.provider && vm.provider !== filter.provider) return false;
  if (filter.region && vm.region !== filter.region) return false;
  for (const selector of filter.labels) {
    const value = vm.labels?.[selector.key];
    if (value === undefined || (selector.value !== null && selector.value !== undefined && value !== selector.value)) return false;
  }
  return true;
}
