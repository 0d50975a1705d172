import { scrapeMetrics } from '@novacron/testing';
import type { MemorySample, SettledMemorySample } from './FanOutResults.ts';
import type { CumulativeBuckets } from './histogramQuantiles.ts';

/** The stages of a delivery the gateway times from the event's commit (`novacron_subscription_stage_lag_seconds`). */
export const deliveryStages = ['read', 'payload', 'sent'] as const;
export type DeliveryStage = (typeof deliveryStages)[number];

/** What the benchmark reads from the gateway's Prometheus `/metrics`. */
export interface GatewayMetrics {
  webSocketConnections: number;
  subscribers: number;
  groups: number;
  payloadExecutions: number;
  deliveries: number;
  slowConsumersDropped: number;
  /**
   * Bytes: resident set, V8 heap in use and reserved, memory outside the V8 heap (Buffers, socket
   * buffers of `ws`), and the old space in use (what survives scavenges: a leak shows there).
   */
  memory: { rss: number; heapUsed: number; heapTotal: number; external: number; oldSpaceUsed: number };
  /** Cumulative CPU seconds (user + system) since the gateway started. */
  cpuSeconds: number;
  /** Seconds from commit to each stage of a delivery, cumulative buckets since the gateway started. */
  stageLag: Record<DeliveryStage, CumulativeBuckets>;
  /** Event-loop delay since the previous scrape (prom-client resets its monitor at each), seconds. */
  eventLoopLag: { p50: number; p99: number; max: number };
  /** Garbage collections since the gateway started, by kind (major, minor, incremental, weakcb): count and seconds. */
  gc: Record<string, { count: number; seconds: number; over10Ms: number; over100Ms: number }>;
}

/** Reads the gateway's counters, memory and CPU from its Prometheus endpoint. */
export async function readGatewayMetrics(metricsUrl: string): Promise<GatewayMetrics> {
  const scrape = await scrapeMetrics(metricsUrl);
  return {
    webSocketConnections: scrape.sum('novacron_websocket_connections'),
    subscribers: scrape.sum('novacron_graphql_active_subscriptions'),
    groups: scrape.sum('novacron_subscription_groups'),
    payloadExecutions: scrape.sum('novacron_subscription_payload_executions_total'),
    deliveries: scrape.sum('novacron_subscription_deliveries_total'),
    slowConsumersDropped: scrape.sum('novacron_slow_consumer_drops_total'),
    memory: {
      rss: scrape.sum('process_resident_memory_bytes'),
      heapUsed: scrape.sum('nodejs_heap_size_used_bytes'),
      heapTotal: scrape.sum('nodejs_heap_size_total_bytes'),
      external: scrape.sum('nodejs_external_memory_bytes'),
      oldSpaceUsed: scrape.sum('nodejs_heap_space_size_used_bytes', { space: 'old' }),
    },
    cpuSeconds: scrape.sum('process_cpu_seconds_total'),
    stageLag: Object.fromEntries(
      deliveryStages.map((stage) => [
        stage,
        scrape.samples
          .filter((sample) => sample.name === 'novacron_subscription_stage_lag_seconds_bucket' && sample.labels.stage === stage)
          .map((sample): [number, number] => [sample.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(sample.labels.le), sample.value])
          .sort(([a], [b]) => a - b),
      ]),
    ) as Record<DeliveryStage, CumulativeBuckets>,
    eventLoopLag: { p50: scrape.sum('nodejs_eventloop_lag_p50_seconds'), p99: scrape.sum('nodejs_eventloop_lag_p99_seconds'), max: scrape.sum('nodejs_eventloop_lag_max_seconds') },
    gc: Object.fromEntries(
      [...new Set(scrape.samples.filter((sample) => sample.name === 'nodejs_gc_duration_seconds_count').map((sample) => sample.labels.kind ?? ''))].map((kind) => [
        kind,
        {
          count: scrape.sum('nodejs_gc_duration_seconds_count', { kind }),
          seconds: scrape.sum('nodejs_gc_duration_seconds_sum', { kind }),
          over10Ms: scrape.sum('nodejs_gc_duration_seconds_count', { kind }) - scrape.sum('nodejs_gc_duration_seconds_bucket', { kind, le: '0.01' }),
          over100Ms: scrape.sum('nodejs_gc_duration_seconds_count', { kind }) - scrape.sum('nodejs_gc_duration_seconds_bucket', { kind, le: '0.1' }),
        },
      ]),
    ),
  };
}

const mb = (bytes: number) => bytes / 1024 / 1024;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/**
 * Samples the gateway's memory `samples` times `intervalMs` apart and keeps the median of each
 * figure: RSS moves with garbage collection, and one sample can land before or after a collection.
 */
export async function sampleGatewayMemory(metricsUrl: string, label: string, samples = 3, intervalMs = 2_000): Promise<MemorySample> {
  const readings: GatewayMetrics[] = [];
  for (let index = 0; index < samples; index += 1) {
    if (index > 0) await new Promise((done) => setTimeout(done, intervalMs));
    readings.push(await readGatewayMetrics(metricsUrl));
  }
  const last = readings.at(-1)!;
  return {
    label,
    connections: last.webSocketConnections,
    subscribers: last.subscribers,
    rssMb: median(readings.map((reading) => mb(reading.memory.rss))),
    heapUsedMb: median(readings.map((reading) => mb(reading.memory.heapUsed))),
    externalMb: median(readings.map((reading) => mb(reading.memory.external))),
  };
}

/**
 * Samples the gateway's memory every `intervalMs` until its RSS settles (the last three readings
 * within `toleranceMb` of each other) or `maxWaitMs` passes, and keeps the median of the last three:
 * right after a burst (the warm-up's mutations, the connect storm) RSS still holds garbage that V8
 * collects and gives back over the next seconds, so a fixed delay measures collection timing.
 */
export async function sampleSettledGatewayMemory(
  metricsUrl: string,
  label: string,
  { intervalMs = 2_000, maxWaitMs = 30_000, toleranceMb = 2 }: { intervalMs?: number; maxWaitMs?: number; toleranceMb?: number } = {},
): Promise<SettledMemorySample> {
  const started = Date.now();
  const readings: GatewayMetrics[] = [await readGatewayMetrics(metricsUrl)];
  let settled = false;
  while (Date.now() - started < maxWaitMs) {
    await new Promise((done) => setTimeout(done, intervalMs));
    readings.push(await readGatewayMetrics(metricsUrl));
    const lastRss = readings.slice(-3).map((reading) => mb(reading.memory.rss));
    if (lastRss.length === 3 && Math.max(...lastRss) - Math.min(...lastRss) <= toleranceMb) {
      settled = true;
      break;
    }
  }
  const last = readings.slice(-3);
  return {
    label,
    connections: last.at(-1)!.webSocketConnections,
    subscribers: last.at(-1)!.subscribers,
    rssMb: median(last.map((reading) => mb(reading.memory.rss))),
    heapUsedMb: median(last.map((reading) => mb(reading.memory.heapUsed))),
    externalMb: median(last.map((reading) => mb(reading.memory.external))),
    settled,
    afterSeconds: (Date.now() - started) / 1000,
  };
}

/** CPU seconds (user + system) the gateway used between two readings. */
export function gatewayCpuSeconds(before: GatewayMetrics, after: GatewayMetrics): number {
  return after.cpuSeconds - before.cpuSeconds;
}
