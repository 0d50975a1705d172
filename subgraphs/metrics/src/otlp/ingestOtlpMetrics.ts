import type { Sql } from '@novacron/db';
import { countRefusal, ingestSamples, recordRefusals, type IngestOptions, type IngestResult } from '../domain/ingestSamples.ts';
import type { Queryable } from '../domain/Queryable.ts';
import type { Sample } from '../domain/Sample.ts';
import { metricKindNames, type MetricKind } from '../db/schema.ts';
import { findVms, findVmsByProviderId, isUuid, type KnownVm } from '../domain/vmDirectory.ts';
import { isMappedMetric, mapHostMetric, type CumulativePoint, type MappedPoint } from './hostMetricsMapping.ts';
import { parseOtlpJson, type OtlpResourceMetrics } from './parseOtlpJson.ts';

/** The result of an OTLP export: counts, and the samples stored (each also a `sample` event). */
export interface OtlpIngestResult extends IngestResult {
  samples: Sample[];
}

/**
 * Milliseconds since the epoch of a nanosecond timestamp (sub-millisecond digits are dropped). The
 * parser has checked it is a decimal string of digits without leading zeros, so dropping the last six
 * digits is the integer division, without a BigInt per data point.
 */
function toMs(nanos: string): number {
  return nanos.length > 6 ? Number(nanos.slice(0, -6)) : 0;
}

/**
 * Ingests one OTLP/HTTP metrics export for a tenant. The body is checked whole first (malformed:
 * BAD_USER_INPUT, nothing stored). Each resource names its VM by `novacron.vm.id` or by its provider
 * instance id as `host.id`; data points of a VM that is unknown, deleted or another tenant's are
 * refused and counted, never stored. Cumulative io counters become per-interval deltas against the
 * counter's previous point (kept in `metrics.otlp_cumulative_streams`; the first point of a counter
 * only sets the baseline, a counter reset counts from zero). Points of several devices at the same
 * time add up. All writes happen in one transaction.
 */
export async function ingestOtlpMetrics(sql: Sql, tenantId: string, body: unknown, options: IngestOptions): Promise<OtlpIngestResult> {
  return ingestOtlpResources(sql, tenantId, parseOtlpJson(body), options);
}

/** {@link ingestOtlpMetrics} for an export already read and checked (`parseOtlpJson`, `readOtlpProtobuf`). */
export async function ingestOtlpResources(sql: Sql, tenantId: string, resources: OtlpResourceMetrics[], options: IngestOptions): Promise<OtlpIngestResult> {
  const result: OtlpIngestResult = { accepted: 0, refused: {}, samples: [] };
  const vmsByResource = await resolveVms(sql, tenantId, resources);
  const totals = new SampleTotals();
  const counters: (CumulativePoint & { vmId: string })[] = [];
  resources.forEach((resource, index) => {
    const mapped = resource.metrics.filter((metric) => isMappedMetric(metric.name));
    const resolution = vmsByResource[index]!;
    if ('refused' in resolution) {
      countRefusal(result, resolution.refused, mapped.reduce((sum, metric) => sum + metric.points.length, 0));
      return;
    }
    const { vmId } = resolution.vm;
    for (const metric of mapped) {
      const { values: direct, counters: cumulative } = mapHostMetric(metric);
      for (const point of direct) totals.add(vmId, point);
      for (const point of cumulative) counters.push({ ...point, vmId });
    }
  });
  await sql.begin(async (tx) => {
    for (const point of await countersToDeltas(tx, counters)) totals.add(point.vmId, point);
    await ingestSamples(tx, totals.samples(), { ...options, liveTenantOf: () => tenantId }, result);
    await recordRefusals(tx, tenantId, 'otlp', result, options.now);
    result.samples = result.stored ?? [];
  });
  return result;
}

const kindIndex: Record<MetricKind, number> = Object.fromEntries(metricKindNames.map((kind, index) => [kind, index])) as Record<MetricKind, number>;

/**
 * Adds up points of the same VM, kind and millisecond (several devices). Keyed per VM by a number
 * (ms × 8 + kind), not a string per point: the string keys were the OTLP path's hottest own code.
 */
class SampleTotals {
  readonly #byVm = new Map<string, Map<number, Sample>>();

  add(vmId: string, point: MappedPoint): void {
    const t = toMs(point.timeUnixNano);
    let samples = this.#byVm.get(vmId);
    if (!samples) this.#byVm.set(vmId, (samples = new Map()));
    const key = t * 8 + kindIndex[point.kind];
    const existing = samples.get(key);
    if (existing) existing.value += point.value;
    else samples.set(key, { vmId, kind: point.kind, t: new Date(t), value: point.value });
  }

  /** The samples in `writeSamples`' key order (VM id, kind name, time), so it need not sort them all. */
  samples(): Sample[] {
    const all: Sample[] = [];
    for (const vmId of [...this.#byVm.keys()].sort()) {
      const samples = [...this.#byVm.get(vmId)!.values()].sort(byKindThenTime);
      for (const sample of samples) all.push(sample);
    }
    return all;
  }
}

function byKindThenTime(a: Sample, b: Sample): number {
  if (a.kind !== b.kind) return a.kind < b.kind ? -1 : 1;
  return a.t.getTime() - b.t.getTime();
}

type Resolution = { vm: KnownVm } | { refused: 'UNKNOWN_VM' | 'OTHER_TENANT' };

/** Which VM each resource names, or why its points are refused. */
async function resolveVms(sql: Queryable, tenantId: string, resources: OtlpResourceMetrics[]): Promise<Resolution[]> {
  const vmIds = resources.map((resource) => resource.resource['novacron.vm.id']).filter((id): id is string => id !== undefined);
  const hostIds = resources.filter((resource) => resource.resource['novacron.vm.id'] === undefined).map((resource) => resource.resource['host.id']).filter((id): id is string => id !== undefined);
  const byId = await findVms(sql, vmIds);
  const byHost = await findVmsByProviderId(sql, tenantId, hostIds);
  const unmatchedHosts = hostIds.filter((id) => !byHost.has(id));
  const foreignHosts = new Set(
    unmatchedHosts.length === 0
      ? []
      : (await sql<{ provider_id: string }[]>`
          select distinct provider_id from metrics.vms where tenant_id <> ${tenantId} and provider_id = any(${unmatchedHosts}::text[])`).map((row) => row.provider_id),
  );
  return resources.map((resource): Resolution => {
    const vmId = resource.resource['novacron.vm.id'];
    if (vmId !== undefined) {
      const vm = isUuid(vmId) ? byId.get(vmId.toLowerCase()) : undefined;
      if (!vm || vm.deleted) return { refused: 'UNKNOWN_VM' };
      return vm.tenantId === tenantId ? { vm } : { refused: 'OTHER_TENANT' };
    }
    const hostId = resource.resource['host.id'];
    const vm = hostId === undefined ? undefined : byHost.get(hostId);
    if (vm && !vm.deleted) return { vm };
    return hostId !== undefined && foreignHosts.has(hostId) ? { refused: 'OTHER_TENANT' } : { refused: 'UNKNOWN_VM' };
  });
}

/** Turns cumulative counter points into deltas, keeping each counter's last point for the next export. */
async function countersToDeltas(tx: Queryable, counters: (CumulativePoint & { vmId: string })[]): Promise<(MappedPoint & { vmId: string })[]> {
  if (counters.length === 0) return [];
  const streams = new Map<string, (CumulativePoint & { vmId: string })[]>();
  for (const point of counters) {
    const key = `${point.vmId}|${point.series}`;
    const list = streams.get(key);
    if (list) list.push(point);
    else streams.set(key, [point]);
  }
  const keys = [...streams.keys()].sort();
  const stored = await tx<{ stream_key: string; start_time_ns: string; time_ns: string; value: number }[]>`
    select stream_key, start_time_ns, time_ns, value from metrics.otlp_cumulative_streams
    where stream_key = any(${keys}::text[]) order by stream_key for update`;
  const previous = new Map(stored.map((row) => [row.stream_key, { start: row.start_time_ns, time: row.time_ns, value: row.value }]));
  const deltas: (MappedPoint & { vmId: string })[] = [];
  const latest: { key: string; vmId: string; start: string; time: string; value: number }[] = [];
  for (const key of keys) {
    const points = streams.get(key)!.sort((a, b) => (BigInt(a.timeUnixNano) < BigInt(b.timeUnixNano) ? -1 : 1));
    let last = previous.get(key);
    for (const point of points) {
      if (last && BigInt(point.timeUnixNano) <= BigInt(last.time)) continue; // already counted
      if (last) {
        const reset = point.startTimeUnixNano !== last.start || point.value < last.value;
        deltas.push({ vmId: point.vmId, kind: point.kind, timeUnixNano: point.timeUnixNano, value: reset ? point.value : point.value - last.value });
      }
      last = { start: point.startTimeUnixNano, time: point.timeUnixNano, value: point.value };
    }
    if (last) latest.push({ key, vmId: points[0]!.vmId, ...last });
  }
  await tx`
    insert into metrics.otlp_cumulative_streams (stream_key, vm_id, start_time_ns, time_ns, value)
    select * from unnest(${latest.map((s) => s.key)}::text[], ${latest.map((s) => s.vmId)}::uuid[], ${latest.map((s) => s.start)}::text[],
                         ${latest.map((s) => s.time)}::text[], ${latest.map((s) => s.value)}::float8[])
    on conflict (stream_key) do update set start_time_ns = excluded.start_time_ns, time_ns = excluded.time_ns, value = excluded.value`;
  return deltas;
}
