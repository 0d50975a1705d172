/** One instance type a provider offers in one region, with its list price (one row of the price catalog). */
export interface CatalogEntry {
  /** `aws`, `gcp` or `azure`. */
  provider: string;
  /** The provider's own region name (`us-east-1`, `europe-west4`, `eastus`). */
  region: string;
  /** The provider's own instance type name (`c6i.2xlarge`, `n2-standard-4`, `Standard_D4s_v5`). */
  instanceType: string;
  vcpus: number;
  memoryGib: number;
  /** `x86_64` or `arm64`. */
  arch: string;
  /** The accelerator model (`A10G`, `A100`), or null for CPU-only types. */
  gpuName: string | null;
  /** How many accelerators; 0 for CPU-only types. */
  gpuCount: number;
  /** On-demand Linux list price, USD per hour. */
  priceHourUsd: number;
  /** A snapshot of the spot price, USD per hour, or null when the source has none (e.g. Azure B-series). */
  spotPriceHourUsd: number | null;
}
