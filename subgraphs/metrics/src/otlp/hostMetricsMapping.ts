/**
 * How OpenTelemetry host-metrics names map onto NovaCron's kinds (the hostmetrics receiver's
 * semantic conventions): utilizations are fractions (×100 → percent), io counters are bytes.
 */
import type { MetricKind } from '../db/schema.ts';
import type { OtlpMetric, OtlpPoint } from './parseOtlpJson.ts';

/** A value for one kind at one time, before points of several devices are added up. */
export interface MappedPoint {
  kind: MetricKind;
  timeUnixNano: string;
  value: number;
}

/** An io counter point still to be turned into a delta (cumulative sums). */
export interface CumulativePoint {
  kind: MetricKind;
  /** Identifies the counter: metric name and every attribute (device, direction, …). */
  series: string;
  startTimeUnixNano: string;
  timeUnixNano: string;
  value: number;
}

const ioKinds: Record<string, Record<string, MetricKind>> = {
  'system.network.io': { receive: 'NETWORK_IN_BYTES', transmit: 'NETWORK_OUT_BYTES' },
  'system.disk.io': { read: 'DISK_READ_BYTES', write: 'DISK_WRITE_BYTES' },
};

/** True for the metric names the mapping reads; others are ignored. */
export function isMappedMetric(name: string): boolean {
  return name === 'system.cpu.utilization' || name === 'system.memory.utilization' || Object.hasOwn(ioKinds, name);
}

function byTime(points: OtlpPoint[]): Map<string, OtlpPoint[]> {
  const groups = new Map<string, OtlpPoint[]>();
  for (const point of points) {
    const group = groups.get(point.timeUnixNano);
    if (group) group.push(point);
    else groups.set(point.timeUnixNano, [point]);
  }
  return groups;
}

/**
 * Maps one metric: `system.cpu.utilization` → CPU_PERCENT (with `state` points: the non-idle share,
 * averaged over the `cpu`s), `system.memory.utilization` → MEMORY_PERCENT (the `used` state when
 * states are given), `system.network.io` and `system.disk.io` by `direction` → the byte kinds.
 * Gauges and delta sums give values at once; cumulative sums give counter points.
 */
export function mapHostMetric(metric: OtlpMetric): { values: MappedPoint[]; counters: CumulativePoint[] } {
  const values: MappedPoint[] = [];
  const counters: CumulativePoint[] = [];
  if (metric.name === 'system.cpu.utilization') {
    for (const [time, points] of byTime(metric.points)) {
      const withState = points.filter((point) => point.attributes.state !== undefined);
      if (withState.length === 0) {
        for (const point of points) values.push({ kind: 'CPU_PERCENT', timeUnixNano: time, value: point.value * 100 });
        continue;
      }
      const cpus = new Set(withState.map((point) => point.attributes.cpu ?? ''));
      const busy = withState.filter((point) => point.attributes.state !== 'idle').reduce((sum, point) => sum + point.value, 0);
      values.push({ kind: 'CPU_PERCENT', timeUnixNano: time, value: (busy / cpus.size) * 100 });
    }
  } else if (metric.name === 'system.memory.utilization') {
    for (const [time, points] of byTime(metric.points)) {
      const used = points.find((point) => point.attributes.state === 'used') ?? (points.length === 1 && points[0]!.attributes.state === undefined ? points[0] : undefined);
      if (used) values.push({ kind: 'MEMORY_PERCENT', timeUnixNano: time, value: used.value * 100 });
    }
  } else if (Object.hasOwn(ioKinds, metric.name)) {
    for (const point of metric.points) {
      const kind = ioKinds[metric.name]![point.attributes.direction ?? ''];
      if (!kind) continue;
      if (metric.temporality === 'CUMULATIVE') {
        const attributes = Object.keys(point.attributes).sort().map((key) => `${key}=${point.attributes[key]}`).join(',');
        counters.push({ kind, series: `${metric.name}{${attributes}}`, startTimeUnixNano: point.startTimeUnixNano, timeUnixNano: point.timeUnixNano, value: point.value });
      } else {
        values.push({ kind, timeUnixNano: point.timeUnixNano, value: point.value });
      }
    }
  }
  return { values, counters };
}
