/** Builders for OTLP/JSON metrics export bodies, as an OpenTelemetry Collector sends them. */
export const nanos = (date: Date) => `${BigInt(date.getTime()) * 1_000_000n}`;

export function attributes(values: Record<string, string>) {
  return Object.entries(values).map(([key, value]) => ({ key, value: { stringValue: value } }));
}

export function gauge(name: string, points: { t: Date; value: number; attributes?: Record<string, string> }[]) {
  return { name, unit: '1', gauge: { dataPoints: points.map((p) => ({ attributes: attributes(p.attributes ?? {}), timeUnixNano: nanos(p.t), asDouble: p.value })) } };
}

export function cumulativeSum(name: string, start: Date, points: { t: Date; value: number; attributes?: Record<string, string> }[]) {
  return {
    name,
    unit: 'By',
    sum: {
      aggregationTemporality: 2,
      isMonotonic: true,
      dataPoints: points.map((p) => ({ attributes: attributes(p.attributes ?? {}), startTimeUnixNano: nanos(start), timeUnixNano: nanos(p.t), asInt: String(p.value) })),
    },
  };
}

export function deltaSum(name: string, points: { t: Date; value: number; attributes?: Record<string, string> }[]) {
  return {
    name,
    unit: 'By',
    sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: points.map((p) => ({ attributes: attributes(p.attributes ?? {}), timeUnixNano: nanos(p.t), asInt: String(p.value) })) },
  };
}

export function exportBody(resources: { resource: Record<string, string>; metrics: unknown[] }[]) {
  return {
    resourceMetrics: resources.map((r) => ({ resource: { attributes: attributes(r.resource) }, scopeMetrics: [{ scope: { name: 'hostmetricsreceiver' }, metrics: r.metrics }] })),
  };
}
