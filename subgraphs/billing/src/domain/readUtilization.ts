import { rightsizingRule, type UtilizationSummary } from './rightsizing.ts';

/** Bucket width billing asks the metrics subgraph for: CloudWatch's 5-minute period, which Compute Optimizer reads. */
export const utilizationStepSeconds = 300;

/** P99.5 by nearest rank of the non-null values, or null when there are none. */
export function percentile995(values: readonly (number | null)[]): number | null {
  const present = values.filter((value): value is number => value !== null && Number.isFinite(value)).sort((a, b) => a - b);
  if (present.length === 0) return null;
  return present[Math.min(present.length - 1, Math.ceil(0.995 * present.length) - 1)]!;
}

/**
 * Turns 5-minute MAX series (CPU, memory) into the summary rightsizing decides on: P99.5 of the
 * 5-minute maxima, and the hours covered by CPU buckets that hold a sample.
 */
export function summarizeUtilization(cpu: readonly (number | null)[], memory: readonly (number | null)[] | null, stepSeconds = utilizationStepSeconds): UtilizationSummary {
  const cpuBuckets = cpu.filter((value) => value !== null).length;
  return {
    cpuP995: percentile995(cpu),
    memoryP995: memory ? percentile995(memory) : null,
    hoursOfData: (cpuBuckets * stepSeconds) / 3600,
  };
}

/** Runs a GraphQL operation on the metrics subgraph as NovaCron itself (the kit's subgraph client). */
export type MetricsRequester = <T>(query: string, variables: Record<string, unknown>) => Promise<T>;

const seriesQuery = /* GraphQL */ `
  query BillingUtilization($representations: [_Any!]!, $from: DateTime!, $to: DateTime!, $step: Int!) {
    _entities(representations: $representations) {
      ... on VM {
        cpu: metrics(kind: CPU_PERCENT, from: $from, to: $to, step: $step, aggregate: MAX) { points { value } }
        memory: metrics(kind: MEMORY_PERCENT, from: $from, to: $to, step: $step, aggregate: MAX) { points { value } }
      }
    }
  }
`;

interface SeriesAnswer {
  _entities: Array<{ cpu?: { points: Array<{ value: number | null }> }; memory?: { points: Array<{ value: number | null }> } } | null>;
}

/**
 * Points billing asks for per request: 7 days of 5-minute buckets. The metrics API refuses a series
 * of more than its `maxPoints` (11,000 by default, configurable), so the 4,032-point window is read in
 * pages that stay valid down to a limit of 2,016.
 */
export const utilizationPagePoints = 2016;

/**
 * Reads a VM's last 14 days of CPU and memory through the metrics subgraph's API (never its tables),
 * page by page (pages start on bucket boundaries, so no bucket is read twice), and summarizes them.
 * A VM with no memory samples at all has no memory metric.
 */
export async function readUtilization(request: MetricsRequester, vmId: string, now: number): Promise<UtilizationSummary> {
  const stepMs = utilizationStepSeconds * 1000;
  const toMs = now * 1000;
  const firstBucketMs = Math.floor((toMs - rightsizingRule.windowDays * 86_400_000) / stepMs) * stepMs;
  const cpu: (number | null)[] = [];
  const memory: (number | null)[] = [];
  for (let pageStart = firstBucketMs; pageStart < toMs; pageStart += utilizationPagePoints * stepMs) {
    const pageEnd = Math.min(toMs, pageStart + utilizationPagePoints * stepMs);
    const answer = await request<SeriesAnswer>(seriesQuery, {
      representations: [{ __typename: 'VM', id: vmId }],
      from: new Date(pageStart).toISOString(),
      to: new Date(pageEnd).toISOString(),
      step: utilizationStepSeconds,
    });
    const entity = answer._entities[0];
    for (const point of entity?.cpu?.points ?? []) cpu.push(point.value);
    for (const point of entity?.memory?.points ?? []) memory.push(point.value);
  }
  return summarizeUtilization(cpu, memory.some((value) => value !== null) ? memory : null);
}
