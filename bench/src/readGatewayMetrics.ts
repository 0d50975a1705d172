import type { MemorySample } from './FanOutResults.ts';

/** The gateway's `GET /metrics` answer. */
export interface GatewayMetrics {
  webSocketConnections: number;
  subscribers: number;
  groups: number;
  payloadExecutions: number;
  deliveries: number;
  slowConsumersDropped: number;
  eventSignals: string;
  memory: NodeJS.MemoryUsage;
  /** Cumulative microseconds since the gateway started. */
  cpu: NodeJS.CpuUsage;
}

/** Reads the gateway's counters, memory and CPU. */
export async function readGatewayMetrics(origin: string): Promise<GatewayMetrics> {
  const response = await fetch(`${origin}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET /metrics answered HTTP ${response.status}`);
  return (await response.json()) as GatewayMetrics;
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
export async function sampleGatewayMemory(origin: string, label: string, samples = 3, intervalMs = 2_000): Promise<MemorySample> {
  const readings: GatewayMetrics[] = [];
  for (let index = 0; index < samples; index += 1) {
    if (index > 0) await new Promise((done) => setTimeout(done, intervalMs));
    readings.push(await readGatewayMetrics(origin));
  }
  const last = readings.at(-1)!;
  return {
    label,
    connections: last.webSocketConnections,
    subscribers: last.subscribers,
    rssMb: median(readings.map((reading) => mb(reading.memory.rss))),
    heapUsedMb: median(readings.map((reading) => mb(reading.memory.heapUsed))),
    externalMb: median(readings.map((reading) => mb(reading.memory.external))),
    arrayBuffersMb: median(readings.map((reading) => mb(reading.memory.arrayBuffers))),
  };
}

/** CPU seconds (user + system) the gateway used between two readings. */
export function gatewayCpuSeconds(before: GatewayMetrics, after: GatewayMetrics): number {
  return (after.cpu.user - before.cpu.user + after.cpu.system - before.cpu.system) / 1e6;
}
