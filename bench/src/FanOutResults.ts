import type { FanOutOptions } from './parseFanOutOptions.ts';
import type { CpuInterval } from './snapshotProcessCpu.ts';
import type { LatencySummary } from './summarizeLatencies.ts';

/** The targets on 2 cores. */
export const fanOutTargets = { p99Ms: 100, idleKbPerConnection: 20 } as const;

/** The gateway's memory at one point, the median of a few `/metrics` samples. */
export interface MemorySample {
  label: string;
  connections: number;
  subscribers: number;
  rssMb: number;
  heapUsedMb: number;
  externalMb: number;
}

/** A memory sample taken once RSS stopped moving (or the wait ran out: `settled` false), and how long that took. */
export interface SettledMemorySample extends MemorySample {
  settled: boolean;
  afterSeconds: number;
}

/** One sample of the gateway's memory during the fan-out phase (MB, seconds since the window opened). */
export interface MemoryPoint {
  second: number;
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  oldSpaceMb: number;
}

/** Soak verdict: the trends after the warm-up (MB per minute), of every sample and of those just after major collections, and the ranges of the warm-up and of the rest. */
export interface SoakTrend {
  fromSecond: number;
  rssMbPerMinute: number;
  heapMbPerMinute: number;
  externalMbPerMinute: number;
  /** RSS and heap used: [min, max] MB during the warm-up and after it. */
  warmupRssMb: [number, number];
  restRssMb: [number, number];
  warmupHeapMb: [number, number];
  restHeapMb: [number, number];
  /** The samples just after each major garbage collection past the warm-up, (second, MB), and their trends. */
  afterCollections: {
    count: number;
    rssMb: [number, number][];
    heapUsedMb: [number, number][];
    /** Least-squares slope of `rssMb`. */
    rssMbPerMinute: number;
    /** Theil–Sen slope of `rssMb` (the median of the pairwise slopes): what the verdict uses. */
    rssMedianMbPerMinute: number;
    heapMbPerMinute: number;
  };
  flat: boolean;
}

/** Everything one run of the fan-out benchmark measured. */
export interface FanOutResults {
  date: string;
  command: string;
  /** The commit measured, and whether files outside bench/ had uncommitted changes. */
  revision: string;
  machine: { cpuCount: number; cpuModel: string; memoryGiB: number; os: string; node: string; postgres: string };
  options: Omit<FanOutOptions, 'verbose' | 'jsonPath' | 'cpuProfileDir' | 'heapSnapshotDir'>;
  /** How subscribers spread over the VM pool. */
  spread: { filteredPerVm: { min: number; max: number }; unfiltered: number; groups: number };
  connect: { seconds: number; subscribed: number; failed: number };
  memory: {
    /** Before any client connected; halfway; with every subscriber connected and idle. */
    samples: MemorySample[];
    /** ΔRSS from the first to the last sample / subscribers. */
    rssKbPerConnection: number;
    /** ΔRSS between the halfway and the full sample / connections added: the marginal cost, without one-time costs. */
    marginalRssKbPerConnection: number;
    heapKbPerConnection: number;
    /** Gateway CPU with every subscriber connected and no events, % of one core. */
    idleGatewayCpuPercent: number;
    /** RSS at the end of the fan-out phase. */
    afterFanOut: MemorySample;
    /**
     * The same per-connection figures with both ends sampled once RSS settled (no clients, after the
     * warm-up's garbage; all idle, after the connect burst's), beside the fixed-delay ones above.
     */
    settled?: { noClients: SettledMemorySample; idle: SettledMemorySample; rssKbPerConnection: number; heapKbPerConnection: number };
  };
  warmup: { eventsPerOperation: number; gatewayCpuPercent: number; eventsPerSecond: number; seconds: number };
  fanOut: {
    seconds: number;
    operationsPerSecond: number;
    events: number;
    eventsPerSecond: number;
    expectedDeliveries: number;
    delivered: number;
    /** Deliveries expected but not received, and received beyond what was expected, summed per connection. */
    missing: number;
    unexpected: number;
    outOfOrder: number;
    latency: LatencySummary;
    /** Latency by when the event occurred: 10-second slices of the window (start second, deliveries, p50, p99, max). */
    latencyOverTime: { fromSecond: number; count: number; p50: number; p99: number; max: number }[];
    /** Share of deliveries at or under each bound (ms). */
    latencyShares: [number, number][];
    /** Gateway counters over the window. */
    gatewayDeliveries: number;
    payloadExecutions: number;
    slowConsumersDropped: number;
    /** Gateway CPU from its Prometheus /metrics (process_cpu_seconds_total), % of one core. */
    gatewayCpuPercent: number;
    gatewayCpuMsPerEvent: number;
    /** The subscriber client processes' own CPU, % of one core (all of them together). */
    clientCpuPercent: number;
    clientRssMb: number;
    cpu: CpuInterval;
    /** Gateway RSS every few seconds during the phase. */
    rssTimeline: [number, number][];
    /** Gateway V8 heap used every few seconds during the phase. */
    heapTimeline: [number, number][];
    /** Gateway memory every few seconds during the phase, MB: RSS, heap used and reserved, external, old space used. */
    memoryTimeline: MemoryPoint[];
    /** Soak mode: least-squares growth after the first fifth of the phase (warm-up), MB per minute. */
    soak?: SoakTrend;
    /** Where a delivery's latency goes: see {@link LatencyBreakdown}. */
    breakdown?: LatencyBreakdown;
    /**
     * Deliveries over the p99 target by the second they were received (since the window opened): how
     * many, over how many seconds, the worst seconds `[second, count]`, and the share of the worst five.
     */
    lateDeliveries?: { total: number; seconds: number; worstSeconds: [number, number][]; shareInWorstFive: number };
  };
  /** Heap snapshots of the gateway (`--heap-snapshots`): files written at idle and after the fan-out. */
  heapSnapshots: string[];
  driver: { sent: number; accepted: number; succeeded: number; unsuccessful: number; mutationErrors: number; errorSamples: string[]; starved: number };
  problems: { connectionErrors: number; closedUnexpectedly: number; closes: Record<string, number>; errorMessages: number; errorSamples: string[]; platformWarnings: number; platformWarningSamples: string[] };
}

/**
 * Where a delivery's latency goes over the window, each stage timed from the event's commit
 * (`occurredAt`): the gateway's read of the feed page, its payload resolved for the group, its write to
 * the subscriber's socket (the gateway's `novacron_subscription_stage_lag_seconds`, bucketed: quantiles
 * interpolated inside buckets), then the client's receipt (exact). Beside them, the stalls that can make
 * a tail: event-loop delay and GC in the gateway and in the client processes.
 */
export interface LatencyBreakdown {
  /** ms from commit: p50, p95, p99 and the observation count of each gateway stage. */
  stages: Record<'read' | 'payload' | 'sent', { count: number; p50: number; p95: number; p99: number }>;
  /** The gateway's event-loop delay per ~5 s scrape over the window (ms): the worst p99 and max of any scrape, and their medians. */
  gatewayEventLoopMs: { p99Worst: number; maxWorst: number; p99Median: number; maxMedian: number };
  /** The gateway's collections over the window by kind: count, total ms, those over 10 and 100 ms. */
  gatewayGc: Record<string, { count: number; totalMs: number; over10Ms: number; over100Ms: number }>;
  /** Each stage's p99 (ms) between consecutive ~5 s scrapes, by the second (since the window opened) each slice ends. */
  stagesOverTime?: { toSecond: number; read: number; payload: number; sent: number }[];
  /** Each client process's event-loop delay (ms) and collections over the window. */
  clients: { eventLoopDelayMs: { p50: number; p99: number; max: number }; gc: { count: number; totalMs: number; maxMs: number; over10Ms: number } }[];
}
