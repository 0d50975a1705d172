import type { Catalog } from '@novacron/catalog';
import { badInput } from '@novacron/errors';

/** What a workload needs, as clients send it (`PlacementRequirements` in the SDL). */
export interface PlacementRequirementsInput {
  vcpus: number;
  memoryGib: number;
  arch?: string | null;
  gpu?: { name: string; count?: number | null } | null;
  providers?: readonly string[] | null;
  regions?: readonly string[] | null;
  preferRegions?: readonly string[] | null;
  maxHourlyPrice?: number | null;
  spot?: boolean | null;
}

/** Requirements after validation: every name is known to the catalog, lists are de-duplicated. */
export interface PlacementRequirements {
  vcpus: number;
  memoryGib: number;
  arch: string | null;
  gpu: { name: string; count: number } | null;
  /** Allowed providers; null means all. */
  providers: readonly string[] | null;
  /** Allowed regions; null means all. */
  regions: readonly string[] | null;
  preferRegions: readonly string[];
  maxHourlyPrice: number | null;
  spot: boolean;
}

export const architectures = ['x86_64', 'arm64'] as const;

/** Upper bounds that keep requests sane; the largest catalog types are far below them. */
const maxVcpus = 1024;
const maxMemoryGib = 32_768;

/** The names the catalog knows, collected once per catalog (validation runs on every request). */
interface KnownNames {
  providers: Set<string>;
  regions: Set<string>;
  gpus: Set<string>;
}
const knownNamesByCatalog = new WeakMap<Catalog, KnownNames>();

function knownNames(catalog: Catalog): KnownNames {
  let known = knownNamesByCatalog.get(catalog);
  if (!known) {
    known = { providers: new Set(), regions: new Set(), gpus: new Set() };
    for (const entry of catalog.entries) {
      known.providers.add(entry.provider);
      known.regions.add(entry.region);
      if (entry.gpuName) known.gpus.add(entry.gpuName);
    }
    knownNamesByCatalog.set(catalog, known);
  }
  return known;
}

function uniqueKnown(field: string, values: readonly string[] | null | undefined, known: Set<string>, what: string): string[] | null {
  if (values === null || values === undefined) return null;
  if (values.length === 0) throw badInput(field, `${field} must name at least one ${what} (leave it out to allow all)`);
  values.forEach((value, index) => {
    if (!known.has(value)) throw badInput(`${field}.${index}`, `unknown ${what} "${value}"`, { value });
  });
  return [...new Set(values)];
}

/**
 * Validates requirements against the catalog. Every problem is BAD_USER_INPUT naming the field as
 * `<prefix>.<field>` (`requirements.vcpus`, `input.placement.regions.1`).
 */
export function validateRequirements(catalog: Catalog, input: PlacementRequirementsInput, prefix = 'requirements'): PlacementRequirements {
  const known = knownNames(catalog);
  const field = (name: string) => `${prefix}.${name}`;
  if (!Number.isInteger(input.vcpus) || input.vcpus < 1 || input.vcpus > maxVcpus) {
    throw badInput(field('vcpus'), `${field('vcpus')} must be a whole number from 1 to ${maxVcpus}`);
  }
  if (!Number.isFinite(input.memoryGib) || input.memoryGib < 0 || input.memoryGib > maxMemoryGib) {
    throw badInput(field('memoryGib'), `${field('memoryGib')} must be from 0 to ${maxMemoryGib}`);
  }
  const arch = input.arch ?? null;
  if (arch !== null && !(architectures as readonly string[]).includes(arch)) {
    throw badInput(field('arch'), `unknown architecture "${arch}"; use one of ${architectures.join(', ')}`, { value: arch });
  }
  let gpu: PlacementRequirements['gpu'] = null;
  if (input.gpu) {
    if (!known.gpus.has(input.gpu.name)) {
      throw badInput(field('gpu.name'), `unknown accelerator "${input.gpu.name}"; the catalog has ${[...known.gpus].sort().join(', ')}`, { value: input.gpu.name });
    }
    const count = input.gpu.count ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > 64) {
      throw badInput(field('gpu.count'), `${field('gpu.count')} must be a whole number from 1 to 64`);
    }
    gpu = { name: input.gpu.name, count };
  }
  const providers = uniqueKnown(field('providers'), input.providers, known.providers, 'provider');
  const regions = uniqueKnown(field('regions'), input.regions, known.regions, 'region');
  const preferRegions = input.preferRegions?.length ? (uniqueKnown(field('preferRegions'), input.preferRegions, known.regions, 'region') ?? []) : [];
  const maxHourlyPrice = input.maxHourlyPrice ?? null;
  if (maxHourlyPrice !== null && (!Number.isFinite(maxHourlyPrice) || maxHourlyPrice <= 0)) {
    throw badInput(field('maxHourlyPrice'), `${field('maxHourlyPrice')} must be a positive number of USD per hour`);
  }
  return { vcpus: input.vcpus, memoryGib: input.memoryGib, arch, gpu, providers, regions, preferRegions, maxHourlyPrice, spot: input.spot ?? false };
}
