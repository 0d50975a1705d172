/**
 * Reads an OTLP/HTTP JSON `ExportMetricsServiceRequest` (opentelemetry-proto, lowerCamelCase keys,
 * 64-bit integers as strings or numbers, enums as integers) into the few shapes the metrics subgraph
 * maps, checking every field it uses. Anything malformed is a BAD_USER_INPUT naming the JSON path, so
 * a bad request is refused whole before anything is stored.
 */
import { badInput } from '@novacron/errors';

/** An attribute value reduced to a string (the only attribute types the mapping reads). */
export type OtlpAttributes = Record<string, string>;

/** A number data point of a gauge or sum. */
export interface OtlpPoint {
  attributes: OtlpAttributes;
  /** Nanoseconds since the epoch, as a decimal string (64-bit). */
  startTimeUnixNano: string;
  timeUnixNano: string;
  value: number;
}

/** A gauge or sum metric. */
export interface OtlpMetric {
  name: string;
  type: 'gauge' | 'sum';
  /** For sums: 1 DELTA, 2 CUMULATIVE. */
  temporality: 'DELTA' | 'CUMULATIVE' | null;
  points: OtlpPoint[];
}

/** The metrics of one resource (one host / VM). */
export interface OtlpResourceMetrics {
  resource: OtlpAttributes;
  metrics: OtlpMetric[];
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function arrayAt(value: unknown, path: string, required = false): unknown[] {
  if (value === undefined || value === null) {
    if (required) throw badInput(path, `${path} is required`);
    return [];
  }
  if (!Array.isArray(value)) throw badInput(path, `${path} must be an array`);
  return value;
}

function objectAt(value: unknown, path: string): Json {
  if (!isObject(value)) throw badInput(path, `${path} must be an object`);
  return value;
}

const nanosPattern = /^\d{1,20}$/;

/** A JSON path, built only when an error names it (a string per data point was measurable garbage). */
type LazyPath = () => string;

function nanosAt(value: unknown, pathOf: LazyPath, field: string, required: boolean): string {
  if (value === undefined || value === null || value === '' || value === 0 || value === '0') {
    if (required) throw badInput(`${pathOf()}.${field}`, `${pathOf()}.${field} is required`);
    return '0';
  }
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== 'string' || !nanosPattern.test(text)) throw badInput(`${pathOf()}.${field}`, `${pathOf()}.${field} must be a non-negative integer of nanoseconds`);
  return text.charCodeAt(0) === 48 ? text.replace(/^0+(?=\d)/, '') : text;
}

function attributeValue(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  if (typeof value.stringValue === 'string') return value.stringValue;
  if (typeof value.intValue === 'string' || typeof value.intValue === 'number') return String(value.intValue);
  if (typeof value.boolValue === 'boolean') return String(value.boolValue);
  if (typeof value.doubleValue === 'number') return String(value.doubleValue);
  return undefined;
}

function attributesAt(value: unknown, pathOf: LazyPath): OtlpAttributes {
  const attributes: OtlpAttributes = {};
  if (value === undefined || value === null) return attributes;
  if (!Array.isArray(value)) throw badInput(pathOf(), `${pathOf()} must be an array`);
  for (let index = 0; index < value.length; index++) {
    const item: unknown = value[index];
    if (!isObject(item)) throw badInput(`${pathOf()}[${index}]`, `${pathOf()}[${index}] must be an object`);
    if (typeof item.key !== 'string') throw badInput(`${pathOf()}[${index}].key`, 'an attribute needs a string key');
    const text = attributeValue(item.value);
    if (text !== undefined) attributes[item.key] = text;
  }
  return attributes;
}

function pointAt(value: unknown, pointsPath: string, index: number): OtlpPoint {
  const pathOf = () => `${pointsPath}[${index}]`;
  if (!isObject(value)) throw badInput(pathOf(), `${pathOf()} must be an object`);
  const point = value;
  let numeric: number;
  if (point.asDouble !== undefined) {
    // OTLP/JSON writes NaN and infinities as strings; they are refused later as invalid values.
    numeric = typeof point.asDouble === 'string' ? Number(point.asDouble) : (point.asDouble as number);
    if (typeof numeric !== 'number') throw badInput(`${pathOf()}.asDouble`, `${pathOf()}.asDouble must be a number`);
  } else if (point.asInt !== undefined) {
    const text = String(point.asInt);
    if (!/^-?\d{1,20}$/.test(text)) throw badInput(`${pathOf()}.asInt`, `${pathOf()}.asInt must be an integer`);
    numeric = Number(text);
  } else {
    throw badInput(pathOf(), `${pathOf()} needs asDouble or asInt`);
  }
  return {
    attributes: attributesAt(point.attributes, () => `${pathOf()}.attributes`),
    startTimeUnixNano: nanosAt(point.startTimeUnixNano, pathOf, 'startTimeUnixNano', false),
    timeUnixNano: nanosAt(point.timeUnixNano, pathOf, 'timeUnixNano', true),
    value: numeric,
  };
}

function pointsAt(value: unknown, path: string): OtlpPoint[] {
  const points = arrayAt(value, path);
  const result = new Array<OtlpPoint>(points.length);
  for (let index = 0; index < points.length; index++) result[index] = pointAt(points[index], path, index);
  return result;
}

function metricAt(value: unknown, path: string): OtlpMetric | null {
  const metric = objectAt(value, path);
  if (typeof metric.name !== 'string' || metric.name === '') throw badInput(`${path}.name`, `${path}.name must be a non-empty string`);
  if (metric.gauge !== undefined) {
    const gauge = objectAt(metric.gauge, `${path}.gauge`);
    return { name: metric.name, type: 'gauge', temporality: null, points: pointsAt(gauge.dataPoints, `${path}.gauge.dataPoints`) };
  }
  if (metric.sum !== undefined) {
    const sum = objectAt(metric.sum, `${path}.sum`);
    const temporality = sum.aggregationTemporality === 1 || sum.aggregationTemporality === 'AGGREGATION_TEMPORALITY_DELTA' ? 'DELTA'
      : sum.aggregationTemporality === 2 || sum.aggregationTemporality === 'AGGREGATION_TEMPORALITY_CUMULATIVE' ? 'CUMULATIVE' : null;
    if (!temporality) throw badInput(`${path}.sum.aggregationTemporality`, 'a sum needs aggregationTemporality 1 (DELTA) or 2 (CUMULATIVE)');
    return { name: metric.name, type: 'sum', temporality, points: pointsAt(sum.dataPoints, `${path}.sum.dataPoints`) };
  }
  // Histograms and summaries carry nothing the six kinds use.
  return null;
}

/** Parses and checks a decoded OTLP/JSON body. */
export function parseOtlpJson(body: unknown): OtlpResourceMetrics[] {
  const root = objectAt(body, 'body');
  return arrayAt(root.resourceMetrics, 'resourceMetrics', true).map((entry, r) => {
    const resourceMetrics = objectAt(entry, `resourceMetrics[${r}]`);
    const resource = resourceMetrics.resource === undefined ? {} : objectAt(resourceMetrics.resource, `resourceMetrics[${r}].resource`);
    const metrics: OtlpMetric[] = [];
    arrayAt(resourceMetrics.scopeMetrics, `resourceMetrics[${r}].scopeMetrics`).forEach((scopeEntry, s) => {
      const scope = objectAt(scopeEntry, `resourceMetrics[${r}].scopeMetrics[${s}]`);
      arrayAt(scope.metrics, `resourceMetrics[${r}].scopeMetrics[${s}].metrics`).forEach((metric, m) => {
        const parsed = metricAt(metric, `resourceMetrics[${r}].scopeMetrics[${s}].metrics[${m}]`);
        if (parsed) metrics.push(parsed);
      });
    });
    return { resource: attributesAt(resource.attributes, () => `resourceMetrics[${r}].resource.attributes`), metrics };
  });
}
