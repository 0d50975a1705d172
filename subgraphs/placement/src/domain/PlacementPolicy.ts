import { defaultWeights, type ScoreWeights } from './weights.ts';

/** A tenant's placement policy: where its VMs may go and how candidates are scored. */
export interface PlacementPolicy {
  /** Providers the tenant may use; null means all. */
  allowedProviders: readonly string[] | null;
  /** Regions the tenant may use; null means all. */
  allowedRegions: readonly string[] | null;
  /** Instance families never chosen (`p4d`, `n2`, `Dsv5`; see instanceFamily). */
  deniedInstanceFamilies: readonly string[];
  /** No candidate above this on-demand (or spot, for spot requests) USD per hour. */
  maxHourlyPrice: number | null;
  weights: ScoreWeights;
}

/** The policy of a tenant that never set one: everything allowed, default weights. */
export const defaultPolicy: Readonly<PlacementPolicy> = Object.freeze({
  allowedProviders: null,
  allowedRegions: null,
  deniedInstanceFamilies: [],
  maxHourlyPrice: null,
  weights: defaultWeights,
});

/** What ranking needs to know about a tenant and the clouds right now, besides the catalog. */
export interface PlacementState {
  policy: PlacementPolicy;
  /** vCPU quota per `provider/region` (see capacityKey); a missing key is unlimited. */
  quotas: ReadonlyMap<string, number>;
  /** vCPUs in use plus live reservations per `provider/region`. */
  usage: ReadonlyMap<string, number>;
  /** `provider/region/instanceType` keys blocked after a recent capacity failure (see offeringKey). */
  blocked: ReadonlySet<string>;
  /** Recent create outcomes per `provider/region/instanceType`. */
  outcomes: ReadonlyMap<string, { succeeded: number; failed: number }>;
}

/** A state with no policy, quotas, usage or history. */
export function emptyPlacementState(policy: PlacementPolicy = defaultPolicy): PlacementState {
  return { policy, quotas: new Map(), usage: new Map(), blocked: new Set(), outcomes: new Map() };
}

/** The key quotas and usage are counted under. */
export function capacityKey(provider: string, region: string): string {
  return `${provider}/${region}`;
}

/** The key of one offering (a type in a region of a provider): block list and outcomes. */
export function offeringKey(provider: string, region: string, instanceType: string): string {
  return `${provider}/${region}/${instanceType}`;
}
