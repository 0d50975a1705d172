import { describe, expect, it } from 'vitest';
import { loadCatalog } from '@novacron/catalog';
import { billableSegments, type VmHistoryEntry } from '../src/domain/billableSegments.ts';
import { lineItems } from '../src/domain/lineItems.ts';
import { sumMicros } from '../src/domain/money.ts';
import { pricesFor } from '../src/domain/priceBook.ts';
import { epochSeconds } from '../src/domain/utcCalendar.ts';

const catalog = loadCatalog();

interface Step {
  at: string;
  status: string;
  instanceType?: string;
  providerId?: boolean;
}

/** A VM's history from steps, priced from the real catalog like the projection does. */
function history(base: { provider: string; region: string; instanceType: string; image?: string; spot?: boolean }, steps: Step[]): VmHistoryEntry[] {
  let instanceType = base.instanceType;
  let hasProviderResource = false;
  return steps.map((step, index) => {
    instanceType = step.instanceType ?? instanceType;
    hasProviderResource = hasProviderResource || (step.providerId ?? false);
    const image = base.image ?? 'ubuntu-24.04';
    const prices = pricesFor(catalog, { provider: base.provider, region: base.region, instanceType, image, spot: base.spot ?? false });
    return {
      version: index + 1,
      at: epochSeconds(step.at),
      status: step.status,
      provider: base.provider,
      region: base.region,
      instanceType,
      image,
      hasProviderResource,
      spot: prices.spot,
      computeMicrosPerHour: prices.computeMicrosPerHour,
      diskGb: prices.diskGb,
      diskMicrosPerGbMonth: prices.diskMicrosPerGbMonth,
    };
  });
}

const window = (from: string, to: string) => ({ from: epochSeconds(from), to: epochSeconds(to) });
const total = (items: { micros: bigint }[]) => sumMicros(items.map((item) => item.micros));
const byKind = (items: { kind: string; micros: bigint }[], kind: string) => total(items.filter((item) => item.kind === kind));

describe('billable intervals from a VM state history', () => {
  // aws us-east-1: m6i.large $0.096/h, m6i.xlarge $0.192/h; boot disk 8 GB gp3 at $0.08/GB-month = $0.64 per 730 h.
  const lifecycle = history({ provider: 'aws', region: 'us-east-1', instanceType: 'm6i.large' }, [
    { at: '2026-10-31T20:00:00Z', status: 'PENDING' },
    { at: '2026-10-31T20:00:30Z', status: 'RUNNING', providerId: true },
    { at: '2026-10-31T22:00:30Z', status: 'STOPPING' },
    { at: '2026-10-31T22:01:00Z', status: 'STOPPED' },
    { at: '2026-10-31T23:00:00Z', status: 'STOPPED', instanceType: 'm6i.xlarge' },
    { at: '2026-10-31T23:29:00Z', status: 'STARTING' },
    { at: '2026-10-31T23:30:00Z', status: 'RUNNING' },
    { at: '2026-11-01T01:30:00Z', status: 'DELETING' },
    { at: '2026-11-01T01:31:00Z', status: 'DELETED' },
  ]);
  const asOf = epochSeconds('2026-11-15T00:00:00Z');
  const segments = billableSegments(lifecycle);

  it('bills a created, stopped, resized, started and deleted VM across a month boundary', () => {
    const october = lineItems(segments, window('2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z'), asOf);
    const november = lineItems(segments, window('2026-11-01T00:00:00Z', '2026-12-01T00:00:00Z'), asOf);
    // October compute: 2 h at $0.096 = 192,000 µ$ (m6i.large), then 30 min at $0.192 = 96,000 µ$ (m6i.xlarge after the resize).
    expect(byKind(october, 'COMPUTE')).toBe(288_000n);
    // October disk: 20:00:30 → 24:00 = 14,370 s; 640,000 µ$ × 14,370 / 2,628,000 s = 3,499.54 → 3,500 µ$.
    expect(byKind(october, 'DISK')).toBe(3_500n);
    // November compute: 00:00 → 01:30 at $0.192 = 288,000 µ$; disk 00:00 → 01:31 = 5,460 s → 1,329.68 → 1,330 µ$.
    expect(byKind(november, 'COMPUTE')).toBe(288_000n);
    expect(byKind(november, 'DISK')).toBe(1_330n);
    expect(total(october)).toBe(291_500n);
    expect(total(november)).toBe(289_330n);
  });

  it('charges the new type from the moment the VM runs with it, and nothing while stopped', () => {
    const compute = segments.filter((segment) => segment.kind === 'COMPUTE');
    expect(compute.map((segment) => [segment.instanceType, segment.end! - segment.start])).toEqual([
      ['m6i.large', 7_200],
      ['m6i.xlarge', 7_200],
    ]);
  });

  it('bills a running interval shorter than 60 seconds as 60 seconds', () => {
    const short = history({ provider: 'aws', region: 'us-east-1', instanceType: 'm6i.large' }, [
      { at: '2026-11-02T10:00:00Z', status: 'RUNNING', providerId: true },
      { at: '2026-11-02T10:00:20Z', status: 'STOPPING' },
      { at: '2026-11-02T10:05:00Z', status: 'RUNNING' },
      { at: '2026-11-02T10:07:00Z', status: 'STOPPING' },
    ]);
    const items = lineItems(billableSegments(short), window('2026-11-01T00:00:00Z', '2026-12-01T00:00:00Z'), asOf);
    // 60 s (minimum for a 20-s run) + 120 s at 96,000 µ$/h = 1,600 + 3,200 µ$.
    expect(byKind(items, 'COMPUTE')).toBe(4_800n);
  });

  it('counts the 60-second minimum of a run still in its first minute', () => {
    const starting = history({ provider: 'aws', region: 'us-east-1', instanceType: 'm6i.large' }, [
      { at: '2026-11-02T10:00:00Z', status: 'RUNNING', providerId: true },
    ]);
    const items = lineItems(billableSegments(starting), window('2026-11-01T00:00:00Z', '2026-12-01T00:00:00Z'), epochSeconds('2026-11-02T10:00:10Z'));
    expect(byKind(items, 'COMPUTE')).toBe(1_600n);
  });

  it('does not restart the minimum when a resize splits a running interval', () => {
    const resizedWhileRunning = history({ provider: 'aws', region: 'us-east-1', instanceType: 'm6i.large' }, [
      { at: '2026-11-02T10:00:00Z', status: 'RUNNING', providerId: true },
      { at: '2026-11-02T10:00:30Z', status: 'RUNNING', instanceType: 'm6i.xlarge' },
      { at: '2026-11-02T10:00:40Z', status: 'STOPPING' },
    ]);
    const items = lineItems(billableSegments(resizedWhileRunning), window('2026-11-01T00:00:00Z', '2026-12-01T00:00:00Z'), asOf);
    // 30 s of m6i.large (800 µ$), then the run's last segment runs to 10:01:00: 30 s of m6i.xlarge (1,600 µ$).
    expect(byKind(items, 'COMPUTE')).toBe(2_400n);
  });

  it('charges only the disk while the VM is stopped', () => {
    const stopped = history({ provider: 'aws', region: 'us-east-1', instanceType: 'm6i.large' }, [
      { at: '2026-11-03T00:00:00Z', status: 'RUNNING', providerId: true },
      { at: '2026-11-03T01:00:00Z', status: 'STOPPED' },
    ]);
    const items = lineItems(billableSegments(stopped), window('2026-11-03T01:00:00Z', '2026-11-03T11:00:00Z'), asOf);
    expect(byKind(items, 'COMPUTE')).toBe(0n);
    // 10 h of 8 GB at $0.08/GB-month: 640,000 µ$ × 36,000 / 2,628,000 = 8,767.12 → 8,767 µ$.
    expect(byKind(items, 'DISK')).toBe(8_767n);
  });

  it('bills an Azure VM stopped (deallocated) by NovaCron for its disk only', () => {
    const azure = history({ provider: 'azure', region: 'eastus', instanceType: 'Standard_B2s' }, [
      { at: '2026-11-03T00:00:00Z', status: 'RUNNING', providerId: true },
      { at: '2026-11-03T01:00:00Z', status: 'STOPPED' },
    ]);
    const items = lineItems(billableSegments(azure), window('2026-11-03T00:00:00Z', '2026-11-03T02:00:00Z'), asOf);
    // 1 h of Standard_B2s at $0.0416; disk P4 32 GiB × $0.164984 = $5.279488/month → 5,279,488 × 7,200 / 2,628,000 = 14,464.35 → 14,464 µ$.
    expect(byKind(items, 'COMPUTE')).toBe(41_600n);
    expect(byKind(items, 'DISK')).toBe(14_464n);
    // A Windows image's 127 GiB OS disk is billed as its tier, P10: 128 GiB × $0.153984 = $19.709952/month (list $19.71).
    expect(pricesFor(catalog, { provider: 'azure', region: 'eastus', instanceType: 'Standard_B2s', image: 'windows-2022', spot: false })).toMatchObject({ diskGb: 128, diskMicrosPerGbMonth: 153_984n });
  });

  it('uses the spot price for spot VMs, and on-demand where the catalog has no spot price', () => {
    const spot = history({ provider: 'aws', region: 'us-east-1', instanceType: 'm6i.large', spot: true }, [
      { at: '2026-11-04T00:00:00Z', status: 'RUNNING', providerId: true },
      { at: '2026-11-04T03:00:00Z', status: 'STOPPED' },
    ]);
    // m6i.large spot in us-east-1: $0.0223/h × 3 h.
    expect(byKind(lineItems(billableSegments(spot), window('2026-11-04T00:00:00Z', '2026-11-05T00:00:00Z'), asOf), 'COMPUTE')).toBe(66_900n);
    const noSpotPrice = pricesFor(catalog, { provider: 'azure', region: 'eastus', instanceType: 'Standard_B2s', image: 'ubuntu-24.04', spot: true });
    expect(noSpotPrice).toMatchObject({ spot: false, computeMicrosPerHour: 41_600n });
  });

  it('never bills a VM whose creation failed before the provider created anything', () => {
    const failed = history({ provider: 'gcp', region: 'us-central1', instanceType: 'e2-standard-2' }, [
      { at: '2026-11-05T00:00:00Z', status: 'PENDING' },
      { at: '2026-11-05T00:01:00Z', status: 'ERROR' },
      { at: '2026-11-05T00:02:00Z', status: 'DELETED' },
    ]);
    expect(billableSegments(failed)).toEqual([]);
  });
});

describe('totalCost', () => {
  it('equals the sum of the daily line items exactly, for any segments, window and as-of instant', async () => {
    const { totalCost } = await import('../src/domain/lineItems.ts');
    // A deterministic generator (mulberry32), so a failure is reproducible.
    let seed = 42;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
    };
    const base = epochSeconds('2026-10-20T00:00:00Z');
    for (let round = 0; round < 300; round++) {
      const segments = Array.from({ length: 1 + Math.floor(random() * 4) }, () => {
        const start = base + Math.floor(random() * 40 * 86_400);
        const open = random() < 0.3;
        return {
          kind: random() < 0.5 ? ('COMPUTE' as const) : ('DISK' as const),
          start,
          end: open ? null : start + Math.floor(random() * 20 * 86_400),
          runStart: start,
          lastInRun: random() < 0.7,
          provider: 'aws',
          region: 'us-east-1',
          instanceType: 'm6i.large',
          spot: false,
          rate: { numerator: BigInt(1 + Math.floor(random() * 5_000_000)), perSeconds: random() < 0.5 ? 3_600n : 2_628_000n },
        };
      });
      const from = base + Math.floor(random() * 30 * 86_400);
      const window = { from, to: from + 1 + Math.floor(random() * 35 * 86_400) };
      const asOf = base + Math.floor(random() * 70 * 86_400);
      expect(totalCost(segments, window, asOf)).toBe(total(lineItems(segments, window, asOf)));
    }
  });
});
