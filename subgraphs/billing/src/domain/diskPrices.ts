/**
 * Boot-disk prices and default boot-disk sizes per provider. The catalog has no disk prices and the
 * vms API has no disk size, so billing charges each VM for the boot disk the provider gives its image
 * by default, at the provider's list price for its default SSD class in its reference US region.
 * Sources and caveats: docs/billing.md § "Disk prices".
 */

/** One provider's boot-disk price and default sizes. */
export interface DiskPrice {
  /** The disk class billed (`gp3`, `pd-balanced`, `Premium SSD LRS`). */
  diskClass: string;
  /** USD per GB-month (a 730-hour month), as a decimal string. */
  usdPerGbMonth: string;
  /** Default boot-disk size in GB for Linux images. */
  linuxGb: number;
  /** Default boot-disk size in GB for Windows images. */
  windowsGb: number;
}

/** The table; `docs/billing.md` names the page each number comes from. */
export const diskPrices: Readonly<Record<string, DiskPrice>> = Object.freeze({
  // Amazon EBS gp3, us-east-1: $0.08 per GB-month. Ubuntu/Debian/Rocky AMIs: 8 GiB root; Windows Server 2022 AMIs: 30 GiB.
  aws: { diskClass: 'gp3', usdPerGbMonth: '0.08', linuxGb: 8, windowsGb: 30 },
  // Compute Engine balanced persistent disk, us-central1: $0.10 per GB-month. Linux images: 10 GB boot disk; Windows: 50 GB.
  gcp: { diskClass: 'pd-balanced', usdPerGbMonth: '0.10', linuxGb: 10, windowsGb: 50 },
  // Azure Premium SSD LRS, East US: P4 (32 GiB) $5.28/month = $0.165 per GiB-month. Marketplace Linux images
  // have a 30 GiB OS disk (billed as the 32 GiB P4 tier); Windows Server images 127 GiB (billed as 128 GiB, P10).
  azure: { diskClass: 'Premium SSD LRS', usdPerGbMonth: '0.165', linuxGb: 32, windowsGb: 128 },
});

/** The boot disk a VM of this provider and image gets, or undefined for an unknown provider. */
export function defaultBootDisk(provider: string, image: string): { gb: number; price: DiskPrice } | undefined {
  const price = diskPrices[provider];
  if (!price) return undefined;
  return { gb: image.toLowerCase().startsWith('windows') ? price.windowsGb : price.linuxGb, price };
}
