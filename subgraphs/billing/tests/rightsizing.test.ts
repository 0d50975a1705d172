import { describe, expect, it } from 'vitest';
import { loadCatalog } from '@novacron/catalog';
import { decideRightsizing, instanceFamily } from '../src/domain/rightsizing.ts';

const catalog = loadCatalog();
const offered = (provider: string, region: string) => catalog.instanceTypesIn(provider, region);
const entry = (provider: string, region: string, type: string) => catalog.find(provider, region, type)!;

/** P99.5 of a synthetic series, nearest-rank (what the metrics subgraph's P99.5 aggregate returns). */
function p995(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.995 * sorted.length) - 1)]!;
}

/** A 14-day series, one sample a minute, that idles at `base` % with a daily burst to `peak` %. */
function series(days: number, base: number, peak: number): number[] {
  return Array.from({ length: days * 1440 }, (_, minute) => (minute % 1440 < 10 ? peak : base + (minute % 7)));
}

describe('rightsizing (Compute Optimizer rule)', () => {
  it('recommends a smaller type of the same family for an oversized VM, with the saving at 730 h', () => {
    // m6i.2xlarge (8 vCPU, 32 GiB, $0.384/h) at P99.5 CPU 18 % and memory 30 %: needs 8 × 0.18 × 1.2 = 1.728 vCPU, 32 × 0.30 × 1.2 = 11.52 GiB.
    const cpu = series(14, 5, 18);
    expect(p995(cpu)).toBe(18);
    const decision = decideRightsizing(entry('aws', 'us-east-1', 'm6i.2xlarge'), offered('aws', 'us-east-1'), { cpuP995: p995(cpu), memoryP995: 30, hoursOfData: 336 });
    // m6i.xlarge (4 vCPU, 16 GiB, $0.192/h) is the cheapest m6i that fits; (0.384 − 0.192) × 730 = $140.16.
    expect(decision).toMatchObject({ status: 'OVERSIZED', recommendedInstanceType: 'm6i.xlarge', monthlySavings: 140_160_000n });
    expect(decision.evidence).toMatchObject({ requiredVcpus: 1.728, requiredMemoryGib: 11.52, hoursOfData: 336, headroomPercent: 20 });
  });

  it('keeps memory at the current size when the VM reports no memory metric', () => {
    const decision = decideRightsizing(entry('aws', 'us-east-1', 'm6i.2xlarge'), offered('aws', 'us-east-1'), { cpuP995: 18, memoryP995: null, hoursOfData: 100 });
    expect(decision).toMatchObject({ status: 'OK', recommendedInstanceType: 'm6i.2xlarge', monthlySavings: 0n });
  });

  it('recommends a bigger type for an undersized VM, with the extra cost as a negative saving', () => {
    // m6i.large (2 vCPU, $0.096/h) at P99.5 CPU 95 %: needs 2.28 vCPU → m6i.xlarge ($0.192/h): −$70.08 a month.
    const decision = decideRightsizing(entry('aws', 'us-east-1', 'm6i.large'), offered('aws', 'us-east-1'), { cpuP995: p995(series(14, 80, 95)), memoryP995: 50, hoursOfData: 336 });
    expect(decision).toMatchObject({ status: 'UNDERSIZED', recommendedInstanceType: 'm6i.xlarge', monthlySavings: -70_080_000n });
  });

  it('says NOT_ENOUGH_DATA below 30 hours, whatever the samples say', () => {
    const decision = decideRightsizing(entry('aws', 'us-east-1', 'm6i.2xlarge'), offered('aws', 'us-east-1'), { cpuP995: 3, memoryP995: 5, hoursOfData: 29.5 });
    expect(decision).toMatchObject({ status: 'NOT_ENOUGH_DATA', recommendedInstanceType: null, monthlySavings: 0n });
    expect(decideRightsizing(entry('aws', 'us-east-1', 'm6i.2xlarge'), offered('aws', 'us-east-1'), { cpuP995: null, memoryP995: null, hoursOfData: 0 }).status).toBe('NOT_ENOUGH_DATA');
  });

  it('stays on the same architecture (an arm64 VM is never moved to x86 or back)', () => {
    const decision = decideRightsizing(entry('aws', 'us-east-1', 'm7g.2xlarge'), offered('aws', 'us-east-1'), { cpuP995: 10, memoryP995: 10, hoursOfData: 200 });
    expect(decision.recommendedInstanceType).toBe('m7g.large');
    expect(entry('aws', 'us-east-1', decision.recommendedInstanceType!).arch).toBe('arm64');
  });

  it('names families per provider', () => {
    expect(instanceFamily('aws', 'c6i.2xlarge')).toBe('c6i');
    expect(instanceFamily('gcp', 'n2-highmem-8')).toBe('n2-highmem');
    expect(instanceFamily('azure', 'Standard_D16s_v5')).toBe('Standard_D#s_v5');
  });
});

describe('utilization from the metrics subgraph’s 5-minute series', () => {
  it('takes P99.5 by nearest rank of the present buckets and counts hours of data', async () => {
    const { summarizeUtilization, percentile995 } = await import('../src/domain/readUtilization.ts');
    // 400 buckets 1..400 %·(1/4): nearest rank ceil(0.995 × 400) = 398 → 99.5.
    const values = Array.from({ length: 400 }, (_, index) => (index + 1) / 4);
    expect(percentile995(values)).toBe(99.5);
    // 360 present 5-minute buckets = 30 h (rank ceil(0.995 × 360) = 359 → 89.75); the 40 gaps (nulls) do not count.
    const summary = summarizeUtilization([...values.slice(0, 360), ...Array.from({ length: 40 }, () => null)], null);
    expect(summary).toEqual({ cpuP995: 89.75, memoryP995: null, hoursOfData: 30 });
  });

  it('reads the 14 days in pages of at most 2,016 buckets that start on bucket boundaries and never overlap', async () => {
    const { readUtilization } = await import('../src/domain/readUtilization.ts');
    const pages: Array<{ from: string; to: string; step: number }> = [];
    // A stand-in for the metrics subgraph's answer: one 10 % CPU bucket per 5 minutes of each page.
    const request = async <T,>(_query: string, variables: Record<string, unknown>): Promise<T> => {
      const page = variables as { from: string; to: string; step: number };
      pages.push({ from: page.from, to: page.to, step: page.step });
      const buckets = Math.ceil((Date.parse(page.to) - Date.parse(page.from)) / (page.step * 1000));
      const points = Array.from({ length: buckets }, () => ({ value: 10 }));
      return { _entities: [{ cpu: { points }, memory: { points } }] } as T;
    };
    // Now is 2 min 30 s into a bucket: the window's first bucket starts 2 min 30 s before now − 14 d.
    const now = Date.parse('2026-11-16T00:02:30Z') / 1000;
    const summary = await readUtilization(request, '00000000-0000-4000-8000-000000000001', now);
    expect(pages).toEqual([
      { from: '2026-11-02T00:00:00.000Z', to: '2026-11-09T00:00:00.000Z', step: 300 },
      { from: '2026-11-09T00:00:00.000Z', to: '2026-11-16T00:00:00.000Z', step: 300 },
      { from: '2026-11-16T00:00:00.000Z', to: '2026-11-16T00:02:30.000Z', step: 300 },
    ]);
    // 2,016 + 2,016 + 1 buckets.
    expect(summary).toEqual({ cpuP995: 10, memoryP995: 10, hoursOfData: (4033 * 300) / 3600 });
  });
});
