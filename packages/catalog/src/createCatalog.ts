import type { CatalogEntry } from './CatalogEntry.ts';

/** Read-only queries over a set of catalog entries. Every list it returns is sorted and fresh. */
export interface Catalog {
  /** Every entry, in file order. */
  readonly entries: readonly CatalogEntry[];
  /** Provider names, sorted. */
  providers(): string[];
  /** A provider's regions, sorted; empty for an unknown provider. */
  regionsOf(provider: string): string[];
  /** The instance types offered in a region, sorted by name; empty for an unknown provider or region. */
  instanceTypesIn(provider: string, region: string): CatalogEntry[];
  /** One entry, or undefined when the provider does not offer that type in that region. */
  find(provider: string, region: string, instanceType: string): CatalogEntry | undefined;
}

/** Indexes entries (provider → region → instance type) into a {@link Catalog}. */
export function createCatalog(entries: readonly CatalogEntry[]): Catalog {
  const frozen = Object.freeze([...entries]);
  const index = new Map<string, Map<string, Map<string, CatalogEntry>>>();
  for (const entry of frozen) {
    let regions = index.get(entry.provider);
    if (!regions) index.set(entry.provider, (regions = new Map()));
    let types = regions.get(entry.region);
    if (!types) regions.set(entry.region, (types = new Map()));
    types.set(entry.instanceType, entry);
  }
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return Object.freeze({
    entries: frozen,
    providers: () => [...index.keys()].sort(byName),
    regionsOf: (provider: string) => [...(index.get(provider)?.keys() ?? [])].sort(byName),
    instanceTypesIn: (provider: string, region: string) =>
      [...(index.get(provider)?.get(region)?.values() ?? [])].sort((a, b) => byName(a.instanceType, b.instanceType)),
    find: (provider: string, region: string, instanceType: string) => index.get(provider)?.get(region)?.get(instanceType),
  });
}
