import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSimulatedDriver, generateSimulatedSamples, type ProviderDriver } from '../src/index.ts';
import { instanceRequest } from './support/instanceRequest.ts';
import { useSimulatedCloud } from './support/useSimulatedCloud.ts';

const cloud = useSimulatedCloud();

function driver(): ProviderDriver {
  return createSimulatedDriver({ provider: 'aws', sql: cloud.db.sql, latencyMs: { min: 0, max: 0 }, capacityPerRegion: 1000 });
}

/** Pretends the instance became RUNNING `minutes` ago. */
async function runningFor(providerId: string, minutes: number): Promise<void> {
  await cloud.db.sql`update simcloud.instances set updated_at = now() - make_interval(mins => ${minutes}) where provider_id = ${providerId}`;
}

describe('simulated metrics', () => {
  it('reports every kind once a minute for a running instance, exactly the deterministic series', async () => {
    const aws = driver();
    const instance = await aws.create(instanceRequest({ name: 'metrics-1' }));
    await runningFor(instance.providerId, 30);
    const vmId = randomUUID();
    const labels = { workload: 'web' };
    const to = new Date();
    const from = new Date(to.getTime() - 10 * 60_000);
    const samples = await aws.metrics({ instances: [{ providerId: instance.providerId, region: instance.region, vmId, labels }], from, to });
    expect(samples).toHaveLength(10 * 6);
    expect(new Set(samples.map((sample) => sample.kind))).toEqual(new Set(['CPU_PERCENT', 'MEMORY_PERCENT', 'NETWORK_IN_BYTES', 'NETWORK_OUT_BYTES', 'DISK_READ_BYTES', 'DISK_WRITE_BYTES']));
    expect(samples.every((sample) => sample.t.getTime() % 60_000 === 0 && sample.t > from && sample.t <= to && sample.vmId === vmId)).toBe(true);
    expect(samples).toEqual(generateSimulatedSamples({ vmId, labels }, from, to));
    const cpu = samples.filter((sample) => sample.kind === 'CPU_PERCENT').map((sample) => sample.value);
    expect(cpu.every((value) => value >= 0 && value <= 100)).toBe(true);
  });

  it('reports nothing before the instance started, nor while it is stopped', async () => {
    const aws = driver();
    const instance = await aws.create(instanceRequest({ name: 'metrics-2' }));
    await runningFor(instance.providerId, 3);
    const request = { instances: [{ providerId: instance.providerId, region: instance.region, vmId: randomUUID(), labels: {} }], from: new Date(Date.now() - 3_600_000), to: new Date() };
    const running = await aws.metrics(request);
    // Only the minutes since it became RUNNING, three or four of them depending on the clock.
    expect(running.length / 6).toBeGreaterThanOrEqual(2);
    expect(running.length / 6).toBeLessThanOrEqual(4);
    await aws.stop(instance.providerId);
    expect(await aws.metrics(request)).toEqual([]);
  });

  it('differs between VMs and between workload profiles, and repeats exactly for the same VM', () => {
    const from = new Date(Date.UTC(2026, 0, 1));
    const to = new Date(from.getTime() + 24 * 3_600_000);
    const cpuOf = (vmId: string, workload: string) =>
      generateSimulatedSamples({ vmId, labels: { workload } }, from, to)
        .filter((sample) => sample.kind === 'CPU_PERCENT')
        .map((sample) => sample.value);
    const a = '00000000-0000-4000-8000-000000000001';
    const b = '00000000-0000-4000-8000-000000000002';
    expect(cpuOf(a, 'web')).toEqual(cpuOf(a, 'web'));
    expect(cpuOf(a, 'web')).not.toEqual(cpuOf(b, 'web'));
    const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    expect(mean(cpuOf(a, 'idle'))).toBeLessThan(5);
    expect(mean(cpuOf(a, 'batch'))).toBeGreaterThan(mean(cpuOf(a, 'idle')) * 5);
    // A daily cycle: the busiest hour is well above the quietest.
    const web = cpuOf(a, 'web');
    const hourly = Array.from({ length: 24 }, (_, hour) => mean(web.slice(hour * 60, hour * 60 + 60)));
    expect(Math.max(...hourly)).toBeGreaterThan(Math.min(...hourly) * 3);
  });
});
