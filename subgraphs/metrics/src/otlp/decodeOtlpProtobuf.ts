/**
 * Reads an OTLP/HTTP protobuf `ExportMetricsServiceRequest`: protobufjs decodes it, and
 * {@link readOtlpProtobuf} turns the decoded messages straight into the shapes `parseOtlpJson` gives
 * for JSON, with the same checks and the same error paths (no intermediate JSON-shaped copy of every
 * data point, and no decimal string built through a Long per timestamp). The schema below is the
 * subset of opentelemetry-proto v1 (collector/metrics/v1, metrics/v1, common/v1, resource/v1) the
 * mapping reads, with the upstream field numbers; fields it omits (histograms, exemplars, …) are
 * skipped by the decoder.
 */
import protobuf from 'protobufjs';
import { badInput } from '@novacron/errors';
import type { OtlpAttributes, OtlpMetric, OtlpPoint, OtlpResourceMetrics } from './parseOtlpJson.ts';

const schema = `
syntax = "proto3";
package otlp;
message ExportMetricsServiceRequest { repeated ResourceMetrics resource_metrics = 1; }
message ResourceMetrics { Resource resource = 1; repeated ScopeMetrics scope_metrics = 2; string schema_url = 3; }
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message ScopeMetrics { InstrumentationScope scope = 1; repeated Metric metrics = 2; string schema_url = 3; }
message InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3; }
message Metric {
  string name = 1; string description = 2; string unit = 3;
  oneof data { Gauge gauge = 5; Sum sum = 7; }
}
message Gauge { repeated NumberDataPoint data_points = 1; }
message Sum { repeated NumberDataPoint data_points = 1; int32 aggregation_temporality = 2; bool is_monotonic = 3; }
message NumberDataPoint {
  repeated KeyValue attributes = 7;
  fixed64 start_time_unix_nano = 2;
  fixed64 time_unix_nano = 3;
  oneof value { double as_double = 4; sfixed64 as_int = 6; }
  uint32 flags = 8;
}
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; bytes bytes_value = 7; }
}
`;

const requestType = protobuf.parse(schema, { keepCase: false }).root.lookupType('otlp.ExportMetricsServiceRequest');

/** The decoded request as OTLP/JSON would have carried it (kept for tests: the oracle of {@link readOtlpProtobuf}). */
export function decodeOtlpProtobuf(body: Uint8Array): unknown {
  return requestType.toObject(decodeRequest(body), { longs: String, enums: Number, defaults: false, oneofs: false });
}

/** Encodes an OTLP/JSON-shaped request as protobuf (benchmarks and tests play an OpenTelemetry Collector with it). */
export function encodeOtlpProtobuf(request: unknown): Uint8Array {
  return requestType.encode(requestType.fromObject(request as Record<string, unknown>)).finish();
}

function decodeRequest(body: Uint8Array): protobuf.Message {
  try {
    return requestType.decode(body);
  } catch (error) {
    throw badInput('body', `the body is not a valid OTLP protobuf ExportMetricsServiceRequest: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** A 64-bit integer as protobufjs decodes it (a `Long`, or a number without the long package). */
type Int64 = number | { low: number; high: number; toString(): string; toNumber(): number };

interface KeyValueMessage { key: string; value?: Record<string, unknown> | null }
interface PointMessage { attributes: KeyValueMessage[]; startTimeUnixNano?: Int64; timeUnixNano?: Int64; asDouble?: number; asInt?: Int64 }
interface MetricMessage { name: string; gauge?: { dataPoints: PointMessage[] } | null; sum?: { dataPoints: PointMessage[]; aggregationTemporality: number } | null }
interface RequestMessage {
  resourceMetrics: { resource?: { attributes: KeyValueMessage[] } | null; scopeMetrics: { metrics: MetricMessage[] }[] }[];
}

/**
 * An unsigned 64-bit nanosecond count as the decimal string the JSON path carries (no leading zeros,
 * '0' for zero). Exact without BigInt: ns = high·2³² + low = (high·4294)·10⁶ + (high·967296 + low),
 * and both parts stay below 2⁵³.
 */
function nanosDecimal(value: Int64 | undefined): string {
  if (value === undefined) return '0';
  if (typeof value === 'number') return String(Math.trunc(value));
  const high = value.high >>> 0;
  const low = value.low >>> 0;
  const rest = high * 967_296 + low;
  const remainder = rest % 1_000_000;
  const ms = high * 4294 + (rest - remainder) / 1_000_000;
  return ms === 0 ? String(remainder) : `${ms}${String(remainder).padStart(6, '0')}`;
}

function attributesOf(list: KeyValueMessage[]): OtlpAttributes {
  const attributes: OtlpAttributes = {};
  for (const { key, value } of list) {
    if (!value) continue;
    if (Object.hasOwn(value, 'stringValue')) attributes[key] = value.stringValue as string;
    else if (Object.hasOwn(value, 'intValue')) attributes[key] = String(value.intValue);
    else if (Object.hasOwn(value, 'boolValue')) attributes[key] = String(value.boolValue);
    else if (Object.hasOwn(value, 'doubleValue')) attributes[key] = String(value.doubleValue);
  }
  return attributes;
}

function pointOf(point: PointMessage, path: () => string): OtlpPoint {
  let value: number;
  if (Object.hasOwn(point, 'asDouble')) value = point.asDouble!;
  else if (Object.hasOwn(point, 'asInt')) value = typeof point.asInt === 'number' ? point.asInt : point.asInt!.toNumber();
  else throw badInput(path(), `${path()} needs asDouble or asInt`);
  const timeUnixNano = Object.hasOwn(point, 'timeUnixNano') ? nanosDecimal(point.timeUnixNano) : '0';
  if (timeUnixNano === '0') throw badInput(`${path()}.timeUnixNano`, `${path()}.timeUnixNano is required`);
  return {
    attributes: attributesOf(point.attributes),
    startTimeUnixNano: Object.hasOwn(point, 'startTimeUnixNano') ? nanosDecimal(point.startTimeUnixNano) : '0',
    timeUnixNano,
    value,
  };
}

function metricOf(metric: MetricMessage, path: string): OtlpMetric | null {
  if (metric.name === '') throw badInput(`${path}.name`, `${path}.name must be a non-empty string`);
  if (metric.gauge) {
    return { name: metric.name, type: 'gauge', temporality: null, points: metric.gauge.dataPoints.map((point, index) => pointOf(point, () => `${path}.gauge.dataPoints[${index}]`)) };
  }
  if (metric.sum) {
    const temporality = metric.sum.aggregationTemporality === 1 ? 'DELTA' : metric.sum.aggregationTemporality === 2 ? 'CUMULATIVE' : null;
    if (!temporality) throw badInput(`${path}.sum.aggregationTemporality`, 'a sum needs aggregationTemporality 1 (DELTA) or 2 (CUMULATIVE)');
    return { name: metric.name, type: 'sum', temporality, points: metric.sum.dataPoints.map((point, index) => pointOf(point, () => `${path}.sum.dataPoints[${index}]`)) };
  }
  // Histograms and summaries carry nothing the six kinds use.
  return null;
}

/** Decodes and checks a protobuf export: what `parseOtlpJson` returns for the same export in JSON. */
export function readOtlpProtobuf(body: Uint8Array): OtlpResourceMetrics[] {
  const request = decodeRequest(body) as unknown as RequestMessage;
  // As in JSON, an export without resourceMetrics is refused.
  if (request.resourceMetrics.length === 0) throw badInput('resourceMetrics', 'resourceMetrics is required');
  return request.resourceMetrics.map((resourceMetrics, r) => {
    const metrics: OtlpMetric[] = [];
    resourceMetrics.scopeMetrics.forEach((scope, s) => {
      scope.metrics.forEach((metric, m) => {
        const read = metricOf(metric, `resourceMetrics[${r}].scopeMetrics[${s}].metrics[${m}]`);
        if (read) metrics.push(read);
      });
    });
    return { resource: attributesOf(resourceMetrics.resource?.attributes ?? []), metrics };
  });
}
