import type { Catalog, CatalogEntry } from '@novacron/catalog';
import { badInput } from '@novacron/errors';
import { instanceFamily } from './instanceFamily.ts';

/** Narrows `instanceTypes`; every given condition must hold. */
export interface InstanceTypeFilter {
  provider?: string | null;
  region?: string | null;
  arch?: string | null;
  family?: string | null;
  minVcpus?: number | null;
  minMemoryGib?: number | null;
  gpuName?: string | null;
  maxHourlyPrice?: number | null;
}

/** A Relay connection over catalog offerings. */
export interface InstanceTypeConnection {
  edges: { cursor: string; node: CatalogEntry }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

export const maxInstanceTypePage = 500;

type OfferingKey = [provider: string, region: string, instanceType: string];

const compareKeys = (a: OfferingKey, b: OfferingKey): number => {
  for (let index = 0; index < 3; index += 1) {
    const [x, y] = [a[index] as string, b[index] as string];
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
};

const keyOf = (entry: CatalogEntry): OfferingKey => [entry.provider, entry.region, entry.instanceType];

const sortedByCatalog = new WeakMap<Catalog, CatalogEntry[]>();

/** The catalog ordered by (provider, region, type): the order of the connection, computed once. */
function sortedEntries(catalog: Catalog): CatalogEntry[] {
  let sorted = sortedByCatalog.get(catalog);
  if (!sorted) sortedByCatalog.set(catalog, (sorted = [...catalog.entries].sort((a, b) => compareKeys(keyOf(a), keyOf(b)))));
  return sorted;
}

/**
 * A cursor names the offering itself (provider, region, type), not a position, so it stays valid
 * and stable when the catalog gains or loses rows: the next page starts after that key.
 */
export function encodeInstanceTypeCursor(entry: Pick<CatalogEntry, 'provider' | 'region' | 'instanceType'>): string {
  return Buffer.from(JSON.stringify(keyOf(entry as CatalogEntry))).toString('base64url');
}

function decodeInstanceTypeCursor(cursor: string): OfferingKey {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 3 && parsed.every((part) => typeof part === 'string')) return parsed as OfferingKey;
  } catch {
    // fall through to the error below
  }
  throw badInput('after', 'after is not a valid cursor');
}

function validateFilter(filter: InstanceTypeFilter): void {
  for (const name of ['minVcpus', 'minMemoryGib', 'maxHourlyPrice'] as const) {
    const value = filter[name];
    if (value !== null && value !== undefined && (!Number.isFinite(value) || value < 0)) throw badInput(`filter.${name}`, `filter.${name} must not be negative`);
  }
}

function matches(entry: CatalogEntry, filter: InstanceTypeFilter): boolean {
  return (
    (!filter.provider || entry.provider === filter.provider) &&
    (!filter.region || entry.region === filter.region) &&
    (!filter.arch || entry.arch === filter.arch) &&
    (!filter.family || instanceFamily(entry.provider, entry.instanceType) === filter.family) &&
    (filter.minVcpus == null || entry.vcpus >= filter.minVcpus) &&
    (filter.minMemoryGib == null || entry.memoryGib >= filter.minMemoryGib) &&
    (!filter.gpuName || entry.gpuName === filter.gpuName) &&
    (filter.maxHourlyPrice == null || entry.priceHourUsd <= filter.maxHourlyPrice)
  );
}

/** A page of catalog offerings matching the filter, ordered by provider, region and type name. */
export function listInstanceTypes(catalog: Catalog, filter: InstanceTypeFilter | null | undefined, first: number | null | undefined, after: string | null | undefined): InstanceTypeConnection {
  const limit = first ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > maxInstanceTypePage) throw badInput('first', `first must be between 1 and ${maxInstanceTypePage}`);
  const conditions = filter ?? {};
  validateFilter(conditions);
  const start = after ? decodeInstanceTypeCursor(after) : null;
  const matching = sortedEntries(catalog).filter((entry) => matches(entry, conditions));
  const from = start ? matching.findIndex((entry) => compareKeys(keyOf(entry), start) > 0) : 0;
  const page = from < 0 ? [] : matching.slice(from, from + limit);
  const edges = page.map((node) => ({ cursor: encodeInstanceTypeCursor(node), node }));
  return {
    edges,
    pageInfo: { hasNextPage: from >= 0 && from + limit < matching.length, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount: matching.length,
  };
}
