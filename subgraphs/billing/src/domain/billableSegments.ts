import { hourlyRate, secondsPerBillingMonth, type Micros, type Rate } from './money.ts';

/**
 * One VM event as billing keeps it: the VM's state right after the change, with the prices that
 * applied to that configuration when the event was applied (prices are snapshotted, so a later
 * catalog update never rewrites history).
 */
export interface VmHistoryEntry {
  version: number;
  /** When the change happened, epoch seconds. */
  at: number;
  status: string;
  provider: string;
  region: string;
  instanceType: string;
  image: string;
  /** The provider has created the VM's resources (it has a provider id), so its disk exists. */
  hasProviderResource: boolean;
  spot: boolean;
  computeMicrosPerHour: Micros;
  /** False when the catalog had no price for the type (compute billed as 0). */
  computePriced?: boolean;
  diskGb: number;
  diskMicrosPerGbMonth: Micros;
}

/** A stretch of time during which one charge accrues at one rate. */
export interface BillableSegment {
  kind: 'COMPUTE' | 'DISK';
  /** Epoch seconds, inclusive. */
  start: number;
  /** Epoch seconds, exclusive; null while it is still accruing. */
  end: number | null;
  /** Compute: when the continuous running interval this segment belongs to began (a resize while running splits a run into segments). */
  runStart: number;
  /** Compute: this segment ends its running interval (or is still open), so the 60-second minimum is settled on it. */
  lastInRun: boolean;
  provider: string;
  region: string;
  instanceType: string;
  spot: boolean;
  rate: Rate;
}

/**
 * Statuses during which compute is billed. AWS bills `running` (a reboot keeps the instance running
 * and does not start a new billing period); pending, stopping and stopped are not billed. Our Azure
 * stop deallocates, so Azure stops billing compute at the same point. Sources: docs/billing.md.
 */
export const computeBilledStatuses: ReadonlySet<string> = new Set(['RUNNING', 'REBOOTING']);

/** Minimum billed length of one running interval, seconds (AWS and GCP per-second billing). */
export const minimumRunSeconds = 60;

/**
 * Turns one VM's state history (any order; sorted here by version) into billable segments:
 * compute while RUNNING/REBOOTING, split where the instance type (and so the rate) changes; the boot
 * disk from the moment the provider has created the VM until it is DELETED, running or not.
 */
export function billableSegments(history: readonly VmHistoryEntry[]): BillableSegment[] {
  const entries = [...history].sort((a, b) => a.version - b.version);
  const segments: BillableSegment[] = [];
  let compute: BillableSegment | undefined;
  let disk: BillableSegment | undefined;
  let diskEnded = false;

  for (const entry of entries) {
    const running = computeBilledStatuses.has(entry.status);
    const deleted = entry.status === 'DELETED';
    if (compute) {
      const rateChanged = compute.instanceType !== entry.instanceType || compute.rate.numerator !== entry.computeMicrosPerHour || compute.spot !== entry.spot;
      if (!running || deleted) {
        compute.end = entry.at;
        compute = undefined;
      } else if (rateChanged) {
        compute.end = entry.at;
        compute.lastInRun = false;
        compute = openCompute(entry, compute.runStart);
        segments.push(compute);
      }
    } else if (running && !deleted) {
      compute = openCompute(entry, entry.at);
      segments.push(compute);
    }

    if (disk) {
      if (deleted) {
        disk.end = entry.at;
        disk = undefined;
        diskEnded = true;
      }
    } else if (!diskEnded && !deleted && (entry.hasProviderResource || running) && entry.diskGb > 0) {
      disk = {
        kind: 'DISK',
        start: entry.at,
        end: null,
        runStart: entry.at,
        lastInRun: false,
        provider: entry.provider,
        region: entry.region,
        instanceType: entry.instanceType,
        spot: entry.spot,
        rate: { numerator: entry.diskMicrosPerGbMonth * BigInt(entry.diskGb), perSeconds: secondsPerBillingMonth },
      };
      segments.push(disk);
    }
  }
  return segments;
}

function openCompute(entry: VmHistoryEntry, runStart: number): BillableSegment {
  return {
    kind: 'COMPUTE',
    start: entry.at,
    end: null,
    runStart,
    lastInRun: true,
    provider: entry.provider,
    region: entry.region,
    instanceType: entry.instanceType,
    spot: entry.spot,
    rate: hourlyRate(entry.computeMicrosPerHour),
  };
}

/**
 * The second a segment stops accruing, as of `asOf`: its end (or `asOf` while open), pushed out to
 * `runStart + 60` on the segment that settles its running interval's 60-second minimum.
 */
export function billedEnd(segment: BillableSegment, asOf: number): number {
  const end = segment.end ?? Math.max(asOf, segment.start);
  if (segment.kind === 'COMPUTE' && segment.lastInRun) return Math.max(end, segment.runStart + minimumRunSeconds);
  return end;
}
