import type { Catalog } from '@novacron/catalog';
import type { Sql } from '@novacron/db';
import type { ProviderDriver } from './ProviderDriver.ts';
import { createSimulatedDriver } from './simulated/createSimulatedDriver.ts';
import type { SimulatedProviderName } from './simulated/simulatedFlavours.ts';

/** The drivers a process can use, by name. */
export interface ProviderRegistry {
  /** The driver with this name (`aws`, `azure`, `gcp`, …), or undefined. */
  get(name: string): ProviderDriver | undefined;
  /** Every driver: the simulated clouds in name order, then any other real drivers given. */
  list(): ProviderDriver[];
}

/** Options for {@link createProviderRegistry}. */
export interface ProviderRegistryOptions {
  /** The database holding the simulated clouds' `simcloud` schema. */
  sql: Sql;
  /** Latency of the simulated clouds' transitional states. */
  latencyMs: { min: number; max: number };
  /** Capacity of each simulated cloud per region. */
  capacityPerRegion: number;
  /** Regions and instance types for the simulated clouds; the shipped catalog by default. */
  catalog?: Catalog;
  /** How often the simulated clouds' metrics sample (a minute by default). */
  simulatedMetricsIntervalMs?: number;
  /**
   * Real cloud drivers, built by the caller when their credentials exist. A real driver replaces
   * the simulated driver of the same name; one with a new name is added.
   */
  drivers?: ProviderDriver[];
}

const simulatedProviders: readonly SimulatedProviderName[] = ['aws', 'azure', 'gcp'];

/**
 * Builds the registry: a simulated aws, azure and gcp, each replaced by a real driver when one is
 * given. Run `migrateSimulatedCloud` on the same database before using the simulated drivers.
 */
export function createProviderRegistry(options: ProviderRegistryOptions): ProviderRegistry {
  const real = new Map<string, ProviderDriver>();
  for (const driver of options.drivers ?? []) {
    if (real.has(driver.name)) throw new Error(`two drivers named "${driver.name}" were given`);
    real.set(driver.name, driver);
  }
  const drivers = new Map<string, ProviderDriver>();
  for (const provider of simulatedProviders) {
    drivers.set(
      provider,
      real.get(provider) ??
        createSimulatedDriver({ provider, sql: options.sql, latencyMs: options.latencyMs, capacityPerRegion: options.capacityPerRegion, catalog: options.catalog, metricsIntervalMs: options.simulatedMetricsIntervalMs }),
    );
  }
  for (const [name, driver] of real) if (!drivers.has(name)) drivers.set(name, driver);
  const ordered = Object.freeze([...drivers.values()]);
  return Object.freeze({
    get: (name: string) => drivers.get(name),
    list: () => [...ordered],
  });
}
