import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Catalog } from '@novacron/catalog';
import type { Sql } from '@novacron/db';
import type { ProviderDriver } from './ProviderDriver.ts';
import { ProviderError } from './ProviderError.ts';
import { createCloudDriver, isCloudName, type CloudDriverSettings } from './cloud/createCloudDriver.ts';
import { createEmulatedCloudDrivers, type EmulatedClouds } from './cloud/emulatedClouds.ts';
import { createSimulatedDriver } from './simulated/createSimulatedDriver.ts';
import type { SimulatedProviderName } from './simulated/simulatedFlavours.ts';

/** The drivers a process can use, by name. */
export interface ProviderRegistry {
  /** The default driver with this name (`aws`, `azure`, `gcp`, …), or undefined: simulated unless a real one was given. */
  get(name: string): ProviderDriver | undefined;
  /** Every default driver: the clouds in name order, then any other real drivers given. */
  list(): ProviderDriver[];
  /**
   * The driver to use for a tenant: a real driver built from the credentials the tenant stored for
   * that provider (`simulated: false`), else the default driver. Undefined for an unknown name.
   */
  forTenant(tenantId: string, name: string): Promise<ProviderDriver | undefined>;
  /** {@link forTenant} for every provider, in {@link list} order. */
  listForTenant(tenantId: string): Promise<ProviderDriver[]>;
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
   * Real cloud drivers for every tenant (e.g. on the SDK's default credential chain, or against the
   * emulators). A real driver replaces the simulated driver of the same name; one with a new name is added.
   */
  drivers?: ProviderDriver[];
  /**
   * Reads the credentials a tenant stored for a provider (decrypted), or null. When given,
   * {@link ProviderRegistry.forTenant} builds that tenant's real aws/azure/gcp driver from them.
   */
  loadCredentials?: (tenantId: string, provider: string) => Promise<Record<string, string> | null>;
  /** How per-tenant real drivers are built (endpoint overrides for the emulators, polling, retries). */
  cloud?: CloudDriverSettings;
  /**
   * Run the three real drivers against the cloud emulators (`NOVACRON_CLOUDS=emulated`): they
   * replace the simulated drivers, and per-tenant drivers are pointed at the emulators too.
   */
  emulated?: EmulatedClouds;
}

const simulatedProviders: readonly SimulatedProviderName[] = ['aws', 'azure', 'gcp'];

/**
 * Builds the registry: a simulated aws, azure and gcp, each replaced by a real driver when one is
 * given, and per-tenant real drivers from stored credentials. Run `migrateSimulatedCloud` on the
 * same database before using the simulated drivers.
 */
export function createProviderRegistry(options: ProviderRegistryOptions): ProviderRegistry {
  const emulated = options.emulated ? createEmulatedCloudDrivers(options.emulated, options.catalog ? { catalog: options.catalog } : {}) : undefined;
  const real = new Map<string, ProviderDriver>();
  for (const driver of [...(emulated?.drivers ?? []), ...(options.drivers ?? [])]) {
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
  // Building a driver builds SDK clients (connection pools, token caches): keep one per tenant,
  // provider and credentials fingerprint, so changed credentials take effect at once.
  const tenantDrivers = new LRUCache<string, ProviderDriver>({ max: 1_000 });
  const cloud: CloudDriverSettings = { ...emulated?.cloud, ...options.cloud, ...(options.catalog && !options.cloud?.catalog ? { catalog: options.catalog } : {}) };

  async function forTenant(tenantId: string, name: string): Promise<ProviderDriver | undefined> {
    const fallback = drivers.get(name);
    if (!fallback || !options.loadCredentials || !isCloudName(name)) return fallback;
    let credentials: Record<string, string> | null;
    try {
      credentials = await options.loadCredentials(tenantId, name);
    } catch (error) {
      // A stored record that cannot be read fails this provider's calls, not the tenant's whole list.
      if (error instanceof ProviderError && !error.transient) return refusingDriver(fallback, error);
      throw error;
    }
    if (!credentials || Object.keys(credentials).length === 0) return fallback;
    const fingerprint = createHash('sha256').update(JSON.stringify(Object.entries(credentials).sort())).digest('base64url');
    const key = `${tenantId}\u0000${name}\u0000${fingerprint}`;
    let driver = tenantDrivers.get(key);
    if (!driver) {
      try {
        driver = createCloudDriver(name, credentials, cloud);
      } catch (error) {
        // Unusable stored credentials fail each provider call with the reason (an operation then
        // fails with it) instead of failing the lookup, which would leave the caller nothing to report.
        driver = refusingDriver(fallback, error);
      }
      tenantDrivers.set(key, driver);
    }
    return driver;
  }

  return Object.freeze({
    get: (name: string) => drivers.get(name),
    list: () => [...ordered],
    forTenant,
    listForTenant: async (tenantId: string) => {
      const resolved = await Promise.all(ordered.map((driver) => forTenant(tenantId, driver.name)));
      return resolved.filter((driver): driver is ProviderDriver => driver !== undefined);
    },
  });
}

/** A real driver that cannot be built: it describes the provider as not simulated and fails every call with why. */
function refusingDriver(like: ProviderDriver, reason: unknown): ProviderDriver {
  const fail = async (): Promise<never> => {
    throw reason;
  };
  const description = { ...like.describe(), simulated: false };
  return {
    name: like.name,
    describe: () => description,
    capabilities: () => like.capabilities(),
    validate: (spec) => like.validate(spec),
    create: fail,
    start: fail,
    stop: fail,
    reboot: fail,
    resize: fail,
    delete: fail,
    get: fail,
    findByClientToken: fail,
    list: fail,
    metrics: fail,
  };
}
