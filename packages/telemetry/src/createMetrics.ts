import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { metricCatalog, type MetricDefinition, type MetricKey } from './metricCatalog.ts';

/** The labels a catalog metric takes, each a string. */
export type LabelsOf<K extends MetricKey> = { [L in (typeof metricCatalog)[K]['labels'][number]]: string };

/** One sample a collect-time gauge reports. */
export interface GaugeSample<K extends MetricKey> {
  labels: LabelsOf<K>;
  value: number;
}

/** Options for {@link createMetrics}. */
export interface MetricsOptions {
  /** The process's service name (`gateway`, `vms`, `vms-worker`), added as a `service` label to the default metrics. */
  service: string;
  /** Distinct values one label of one metric may take before further values are reported as `other`. */
  maxLabelValues?: number;
  /** Node process and event-loop metrics (default true). */
  defaultMetrics?: boolean;
}

/** A process's Prometheus registry and the NovaCron metrics in it. */
export interface Metrics {
  registry: Registry;
  service: string;
  /** Registers metrics up front, so they are exported (at zero) before their first event. */
  declare(...keys: MetricKey[]): void;
  inc<K extends MetricKey>(key: K, labels: LabelsOf<K>, value?: number): void;
  observe<K extends MetricKey>(key: K, labels: LabelsOf<K>, value: number): void;
  set<K extends MetricKey>(key: K, labels: LabelsOf<K>, value: number): void;
  /**
   * A gauge read when Prometheus scrapes (queue depth, open sockets, …); replaces its previous samples
   * each scrape. A read that fails (the database is down) reports no samples instead of failing the scrape.
   */
  gaugeFromCollect<K extends MetricKey>(key: K, read: () => Promise<GaugeSample<K>[]> | GaugeSample<K>[]): void;
  /** A counter that follows a cumulative number kept elsewhere (the subscription engine's stats). */
  counterFromTotal<K extends MetricKey>(key: K, read: () => number): void;
  /** The Prometheus text exposition of every metric in the registry. */
  scrape(): Promise<string>;
}

type AnyMetric = Counter<string> | Gauge<string> | Histogram<string>;

/**
 * Creates the registry of one service (one per process in production; the e2e harness runs two
 * services in one process, so the registry is per service rather than prom-client's global one).
 * Label values are bounded: after `maxLabelValues` distinct values of one label, new ones become
 * `other`, so a bug that passes an id as a label cannot grow the series without bound.
 */
export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  const maxLabelValues = options.maxLabelValues ?? 64;
  if (options.defaultMetrics ?? true) {
    registry.setDefaultLabels({ service: options.service });
    collectDefaultMetrics({ register: registry });
    // Gauges named *_total break the exposition format's naming rules (`promtool check metrics`
    // refuses them); the same counts are in nodejs_active_{handles,requests,resources} by type.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) registry.removeSingleMetric(name);
  }
  const created = new Map<MetricKey, AnyMetric>();
  /** Per metric, its label names with the values each has taken; made on the metric's first use. */
  const seen = new Map<MetricKey, { name: string; values: Set<string> }[]>();

  // Runs for every observation of every process (1–2 % of the worker's and the gateway's CPU when it
  // keyed its sets by a string built per label per call; docs/benchmarks.md, issue 14).
  const bound = <K extends MetricKey>(key: K, labels: LabelsOf<K>): Record<string, string> => {
    let labelValues = seen.get(key);
    if (!labelValues) {
      labelValues = (metricCatalog[key].labels as readonly string[]).map((name) => ({ name, values: new Set<string>() }));
      seen.set(key, labelValues);
    }
    const result: Record<string, string> = {};
    for (const { name, values } of labelValues) {
      const raw = (labels as Record<string, unknown>)[name];
      const value = raw === undefined || raw === null || raw === '' ? 'unknown' : String(raw);
      if (!values.has(value)) {
        if (values.size >= maxLabelValues) {
          result[name] = 'other';
          continue;
        }
        values.add(value);
      }
      result[name] = value;
    }
    return result;
  };

  const build = (key: MetricKey, collect?: (this: AnyMetric) => void | Promise<void>): AnyMetric => {
    const definition: MetricDefinition = metricCatalog[key];
    const config = { name: definition.name, help: definition.help, labelNames: [...definition.labels], registers: [registry] };
    if (definition.type === 'counter') return new Counter({ ...config, ...(collect ? { collect: collect as never } : {}) });
    if (definition.type === 'gauge') return new Gauge({ ...config, ...(collect ? { collect: collect as never } : {}) });
    return new Histogram({ ...config, buckets: [...(definition.buckets ?? [])] });
  };

  const metric = (key: MetricKey): AnyMetric => {
    let existing = created.get(key);
    if (!existing) {
      existing = build(key);
      created.set(key, existing);
    }
    return existing;
  };

  return {
    registry,
    service: options.service,
    declare(...keys) {
      for (const key of keys) metric(key);
    },
    inc(key, labels, value = 1) {
      (metric(key) as Counter<string>).inc(bound(key, labels), value);
    },
    observe(key, labels, value) {
      (metric(key) as Histogram<string>).observe(bound(key, labels), value);
    },
    set(key, labels, value) {
      (metric(key) as Gauge<string>).set(bound(key, labels), value);
    },
    gaugeFromCollect(key, read) {
      if (created.has(key)) throw new Error(`metric ${key} is already registered`);
      created.set(
        key,
        build(key, async function (this: AnyMetric) {
          const gauge = this as Gauge<string>;
          const samples = await Promise.resolve()
            .then(read)
            .catch(() => []);
          gauge.reset();
          for (const sample of samples) gauge.set(bound(key, sample.labels), sample.value);
        }),
      );
    },
    counterFromTotal(key, read) {
      if (created.has(key)) throw new Error(`metric ${key} is already registered`);
      let reported = 0;
      created.set(
        key,
        build(key, function (this: AnyMetric) {
          const total = read();
          if (total > reported) (this as Counter<string>).inc(total - reported);
          reported = Math.max(reported, total);
        }),
      );
    },
    scrape: () => registry.metrics(),
  };
}

/** A GraphQL operation name as a label: names in `known` as they are, anything else `other`. */
export function boundedOperationName(name: string | null | undefined, known: ReadonlySet<string> | null): string {
  if (!name) return 'anonymous';
  if (known === null) return /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name) ? name : 'other';
  return known.has(name) ? name : 'other';
}
