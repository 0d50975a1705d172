/**
 * Why a catalog offering was not a candidate, in the order the filters run: each offering is counted
 * under the first reason that rules it out, so the counts add up to the catalog's size minus the
 * feasible candidates.
 */
export const rejectionReasons = [
  /** The request's `providers` leaves the provider out. */
  'PROVIDER_NOT_ALLOWED',
  /** The request's `regions` leaves the region out. */
  'REGION_NOT_ALLOWED',
  /** Another CPU architecture than the requested one. */
  'ARCH',
  /** Not the requested accelerator or too few of them, or accelerators nobody asked for. */
  'GPU',
  /** Fewer vCPUs or less memory than requested. */
  'TOO_SMALL',
  /** The tenant's placement policy rules it out (provider, region, family or price cap). */
  'POLICY',
  /** A spot request, but the catalog has no spot price for it. */
  'NO_SPOT_PRICE',
  /** Above the request's `maxHourlyPrice`. */
  'OVER_PRICE',
  /** A create failed there for lack of capacity recently; blocked for the configured time. */
  'RECENT_CAPACITY_FAILURE',
  /** The tenant's vCPU quota in that provider/region would be exceeded. */
  'QUOTA',
] as const;

export type RejectionReason = (typeof rejectionReasons)[number];
