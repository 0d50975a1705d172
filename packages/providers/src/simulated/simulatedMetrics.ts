/**
 * The simulated clouds' metrics: realistic, deterministic series per VM. Every value is a pure
 * function of (vm id, workload profile, kind, minute), so two reads of the same minute agree and a
 * test can compute what to expect. Each VM gets its own daily phase and noise (seeded by its id);
 * a `workload` label picks the profile. Nothing is reported while an instance is not running.
 */
import { createHash } from 'node:crypto';
import type { Sql } from '@novacron/db';
import type { MetricKindName, MetricsInstance, ProviderMetricSample } from '../ProviderDriver.ts';

/** The profiles a `workload` label selects (anything else: `general`). */
export const simulatedWorkloads = ['web', 'batch', 'database', 'idle', 'general'] as const;

/** A simulated workload profile. */
export type SimulatedWorkload = (typeof simulatedWorkloads)[number];

interface Profile {
  /** CPU percent at the trough of the day, and the daily swing on top of it. */
  cpuBase: number;
  cpuSwing: number;
  /** Hour of day (UTC, before the VM's own phase) when load peaks. */
  peakHour: number;
  memoryBase: number;
  memorySwing: number;
  /** Bytes per minute at full load. */
  networkInPerMinute: number;
  networkOutPerMinute: number;
  diskReadPerMinute: number;
  diskWritePerMinute: number;
  /** Relative noise, 0–1. */
  noise: number;
}

const profiles: Record<SimulatedWorkload, Profile> = {
  web: { cpuBase: 8, cpuSwing: 55, peakHour: 15, memoryBase: 45, memorySwing: 15, networkInPerMinute: 60e6, networkOutPerMinute: 240e6, diskReadPerMinute: 5e6, diskWritePerMinute: 8e6, noise: 0.15 },
  batch: { cpuBase: 5, cpuSwing: 90, peakHour: 3, memoryBase: 30, memorySwing: 50, networkInPerMinute: 200e6, networkOutPerMinute: 20e6, diskReadPerMinute: 400e6, diskWritePerMinute: 300e6, noise: 0.1 },
  database: { cpuBase: 25, cpuSwing: 35, peakHour: 14, memoryBase: 75, memorySwing: 10, networkInPerMinute: 80e6, networkOutPerMinute: 120e6, diskReadPerMinute: 150e6, diskWritePerMinute: 90e6, noise: 0.08 },
  idle: { cpuBase: 1, cpuSwing: 2, peakHour: 12, memoryBase: 12, memorySwing: 2, networkInPerMinute: 0.2e6, networkOutPerMinute: 0.1e6, diskReadPerMinute: 0.05e6, diskWritePerMinute: 0.1e6, noise: 0.3 },
  general: { cpuBase: 10, cpuSwing: 30, peakHour: 13, memoryBase: 40, memorySwing: 20, networkInPerMinute: 20e6, networkOutPerMinute: 20e6, diskReadPerMinute: 20e6, diskWritePerMinute: 20e6, noise: 0.12 },
};

const kinds: readonly MetricKindName[] = ['CPU_PERCENT', 'MEMORY_PERCENT', 'NETWORK_IN_BYTES', 'NETWORK_OUT_BYTES', 'DISK_READ_BYTES', 'DISK_WRITE_BYTES'];

/** The simulated clouds sample once a minute, like CloudWatch's detailed monitoring. */
export const simulatedMetricsIntervalMs = 60_000;

/** Six noise values in [-1, 1] for one VM and minute, from a hash of both. */
function noiseFor(vmId: string, minute: number): number[] {
  const digest = createHash('sha256').update(`${vmId}:${minute}`).digest();
  return kinds.map((_, index) => digest.readUInt16BE(index * 2) / 32_767.5 - 1);
}

/** The VM's own phase shift in hours (−3…+3), so a fleet does not move in lockstep. */
function phaseHours(vmId: string): number {
  return (createHash('sha256').update(`${vmId}:phase`).digest().readUInt16BE(0) / 65_535) * 6 - 3;
}

function profileOf(labels: Record<string, string>): Profile {
  const workload = labels.workload as SimulatedWorkload | undefined;
  return workload && Object.hasOwn(profiles, workload) ? profiles[workload] : profiles.general;
}

/**
 * The simulated samples of one VM at every multiple of `intervalMs` (a minute by default) with
 * `from < t <= to`, as if it ran the whole time. Pure: the same arguments give the same samples.
 */
export function generateSimulatedSamples(
  vm: { vmId: string; labels: Record<string, string> },
  from: Date,
  to: Date,
  intervalMs = simulatedMetricsIntervalMs,
): ProviderMetricSample[] {
  const profile = profileOf(vm.labels);
  const phase = phaseHours(vm.vmId);
  const samples: ProviderMetricSample[] = [];
  for (let slot = Math.floor(from.getTime() / intervalMs) + 1; slot * intervalMs <= to.getTime(); slot++) {
    const t = new Date(slot * intervalMs);
    const minute = t.getTime() / 60_000;
    const hourOfDay = (minute / 60) % 24;
    // A smooth daily cycle: 1 at the peak hour, 0 twelve hours away.
    const load = 0.5 + 0.5 * Math.cos(((hourOfDay - profile.peakHour - phase) / 24) * 2 * Math.PI);
    const noise = noiseFor(vm.vmId, minute);
    const jitter = (index: number) => 1 + profile.noise * noise[index]!;
    const cpu = clamp((profile.cpuBase + profile.cpuSwing * load) * jitter(0), 0, 100);
    const memory = clamp((profile.memoryBase + profile.memorySwing * load) * (1 + (profile.noise / 4) * noise[1]!), 0, 100);
    const activity = Math.max(0.02, cpu / 100);
    const values: Record<MetricKindName, number> = {
      CPU_PERCENT: round(cpu, 2),
      MEMORY_PERCENT: round(memory, 2),
      NETWORK_IN_BYTES: Math.round(profile.networkInPerMinute * activity * jitter(2)),
      NETWORK_OUT_BYTES: Math.round(profile.networkOutPerMinute * activity * jitter(3)),
      DISK_READ_BYTES: Math.round(profile.diskReadPerMinute * activity * jitter(4)),
      DISK_WRITE_BYTES: Math.round(profile.diskWritePerMinute * activity * jitter(5)),
    };
    for (const kind of kinds) samples.push({ vmId: vm.vmId, kind, t, value: values[kind] });
  }
  return samples;
}

/**
 * `ProviderDriver.metrics` for a simulated cloud: samples of the instances that are running now,
 * from the moment they last became RUNNING (a stopped, stopping or deleted instance reports nothing).
 * Reads `simcloud.instances` without changing it; a due transition counts as settled.
 */
export async function readSimulatedMetrics(
  sql: Sql,
  provider: string,
  request: { instances: MetricsInstance[]; from: Date; to: Date },
  intervalMs = simulatedMetricsIntervalMs,
): Promise<ProviderMetricSample[]> {
  if (request.instances.length === 0 || request.to.getTime() <= request.from.getTime()) return [];
  const ids = request.instances.map((instance) => instance.providerId);
  const rows = await sql<{ provider_id: string; running_since_ms: number | null }[]>`
    select provider_id,
      (extract(epoch from case
        when settles_at is not null and settles_at <= now() and target_state = 'RUNNING' then settles_at
        when settles_at is null and state = 'RUNNING' then updated_at
      end) * 1000)::float8 as running_since_ms
    from simcloud.instances where provider = ${provider} and provider_id = any(${ids}::text[])`;
  const runningSince = new Map(rows.filter((row) => row.running_since_ms !== null).map((row) => [row.provider_id, row.running_since_ms!]));
  const samples: ProviderMetricSample[] = [];
  for (const instance of request.instances) {
    const since = runningSince.get(instance.providerId);
    if (since === undefined) continue;
    const from = new Date(Math.max(request.from.getTime(), since));
    samples.push(...generateSimulatedSamples(instance, from, request.to, intervalMs));
  }
  return samples;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
