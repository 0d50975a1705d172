/**
 * Boot-disk prices and default boot-disk sizes per provider. The catalog has no disk prices and the
 * vms API has no disk size, so billing charges each VM for the boot disk the provider gives its image
 * by default, at the provider's list price for its default SSD class in its reference US region.
 * Sources, the date they were checked, and what could not be verified: docs/billing.md § "Disk prices".
 */

/** One boot disk: its billed size and its price per GB-month. */
export interface BootDisk {
  /** Billed size in GB (Azure: the size of the tier the image's disk falls in). */
  gb: number;
  /** USD per GB-month (a 730-hour month), as a decimal string of at most 6 decimals (micro-dollars). */
  usdPerGbMonth: string;
}

/** One provider's boot-disk class and its Linux and Windows defaults. */
export interface DiskPrice {
  /** The disk class billed (`gp3`, `pd-balanced`, `Premium SSD LRS`). */
  diskClass: string;
  linux: BootDisk;
  windows: BootDisk;
}

/** The table; `docs/billing.md` names the page each number comes from. */
export const diskPrices: Readonly<Record<string, DiskPrice>> = Object.freeze({
  // Amazon EBS gp3, us-east-1: $0.08 per GB-month, whatever the size. Linux AMIs: 8 GiB root; Windows Server: 30 GiB.
  aws: { diskClass: 'gp3', linux: { gb: 8, usdPerGbMonth: '0.08' }, windows: { gb: 30, usdPerGbMonth: '0.08' } },
  // Compute Engine balanced persistent disk, us-central1: $0.10 per GiB-month. Linux images: 10 GB boot disk; Windows: 50 GB.
  gcp: { diskClass: 'pd-balanced', linux: { gb: 10, usdPerGbMonth: '0.10' }, windows: { gb: 50, usdPerGbMonth: '0.10' } },
  // Azure Premium SSD LRS, East US, billed per tier: Linux images' 30 GiB OS disk is a P4 (32 GiB, $5.2795/month =
  // $0.164984375/GiB, rounded to $0.164984); Windows Server's 127 GiB is a P10 (128 GiB, $19.71/month = $0.153984375/GiB → $0.153984).
  azure: { diskClass: 'Premium SSD LRS', linux: { gb: 32, usdPerGbMonth: '0.164984' }, windows: { gb: 128, usdPerGbMonth: '0.153984' } },
});

/** The boot disk a VM of this provider and image gets, or undefined for an unknown provider. */
export function defaultBootDisk(provider: string, image: string): (BootDisk & { diskClass: string }) | undefined {
  const price = diskPrices[provider];
  if (!price) return undefined;
  return { ...(image.toLowerCase().startsWith('windows') ? price.windows : price.linux), diskClass: price.diskClass };
}
