import type { Catalog } from '@novacron/catalog';
import { defaultBootDisk } from './diskPrices.ts';
import { parseUsd, type Micros } from './money.ts';

/** The prices that apply to one VM configuration, in micro-dollars. */
export interface VmPrices {
  /** Compute µ$/hour while running (the spot price for spot VMs), 0 when the catalog has no such type. */
  computeMicrosPerHour: Micros;
  /** Whether the catalog priced the type (false: unknown type, billed 0 and reported as unpriced). */
  computePriced: boolean;
  /** Whether the spot price was used. */
  spot: boolean;
  diskGb: number;
  /** µ$ per GB-month of the boot disk. */
  diskMicrosPerGbMonth: Micros;
}

/** The configuration prices depend on. */
export interface VmPriceKey {
  provider: string;
  region: string;
  instanceType: string;
  image: string;
  spot: boolean;
}

/**
 * Looks up a configuration's prices: on-demand (or spot, when the VM is spot and the catalog has a spot
 * price; otherwise on-demand, see docs/billing.md) compute from the catalog, and the default boot disk.
 */
export function pricesFor(catalog: Catalog, key: VmPriceKey): VmPrices {
  const entry = catalog.find(key.provider, key.region, key.instanceType);
  const useSpot = key.spot && entry?.spotPriceHourUsd != null;
  const hourly = entry ? (useSpot ? entry.spotPriceHourUsd! : entry.priceHourUsd) : 0;
  const disk = defaultBootDisk(key.provider, key.image);
  return {
    computeMicrosPerHour: parseUsd(hourly),
    computePriced: entry !== undefined,
    spot: useSpot,
    diskGb: disk?.gb ?? 0,
    diskMicrosPerGbMonth: disk ? parseUsd(disk.usdPerGbMonth) : 0n,
  };
}
