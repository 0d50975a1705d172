import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { migrateMetrics } from '../src/db/migrateMetrics.ts';
import { project } from './support/project.ts';
import { readRefusals } from '../src/domain/ingestSamples.ts';
import { defaultRetention, maintainPartitions } from '../src/domain/retention.ts';
import { ingestOtlpMetrics } from '../src/otlp/ingestOtlpMetrics.ts';
import { findSampleEvent, metricsOutbox } from '../src/domain/sampleStream.ts';
import { drizzle } from 'drizzle-orm/postgres-js';
import { cumulativeSum, deltaSum, exportBody, gauge } from './support/otlpBody.ts';
import { hoursAgo, plusSeconds } from './support/timeline.ts';
import { vmHistory } from './support/vmEvents.ts';

let database: TestDatabase;
const now = new Date();
const options = { now, retention: defaultRetention, maxFutureMs: 600_000 };
const acmeVm = vmHistory({ tenantId: 'acme' });
const otherVm = vmHistory({ tenantId: 'other' });
const base = hoursAgo(2);

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateMetrics(database.url);
  await maintainPartitions(database.sql, now, defaultRetention);
  await project(database.sql, [
    acmeVm.event('CREATED', {}, hoursAgo(5)),
    acmeVm.event('STATE_CHANGED', { status: 'RUNNING', providerId: 'i-acme000000000001' }, hoursAgo(5)),
    otherVm.event('CREATED', {}, hoursAgo(5)),
    otherVm.event('STATE_CHANGED', { status: 'RUNNING', providerId: 'i-other00000000001' }, hoursAgo(5)),
  ]);
});
afterAll(async () => {
  await database?.drop();
});

const stored = async (vmId: string) =>
  (
    await database.sql<{ kind: string; ms: number; value: number }[]>`
      select kind::text as kind, (extract(epoch from ts) * 1000)::float8 as ms, value from metrics.samples where vm_id = ${vmId} order by kind::text, ts`
  ).map((row) => [row.kind, row.ms - base.getTime(), row.value]);

describe('OTLP metrics ingest', () => {
  it('maps host metrics onto kinds and stores the exact values', async () => {
    const t1 = plusSeconds(base, 60);
    const body = exportBody([
      {
        resource: { 'host.id': 'i-acme000000000001', 'host.name': 'web-1' },
        metrics: [
          gauge('system.cpu.utilization', [
            // Two CPUs: busy shares (user + system) 0.5 and 0.25 → mean 0.375 → 37.5 %.
            { t: t1, value: 0.25, attributes: { cpu: 'cpu0', state: 'user' } },
            { t: t1, value: 0.25, attributes: { cpu: 'cpu0', state: 'system' } },
            { t: t1, value: 0.5, attributes: { cpu: 'cpu0', state: 'idle' } },
            { t: t1, value: 0.25, attributes: { cpu: 'cpu1', state: 'user' } },
            { t: t1, value: 0.75, attributes: { cpu: 'cpu1', state: 'idle' } },
          ]),
          gauge('system.memory.utilization', [
            { t: t1, value: 0.625, attributes: { state: 'used' } },
            { t: t1, value: 0.375, attributes: { state: 'free' } },
          ]),
          deltaSum('system.disk.io', [
            { t: t1, value: 4096, attributes: { device: 'sda', direction: 'read' } },
            { t: t1, value: 1024, attributes: { device: 'sdb', direction: 'read' } },
            { t: t1, value: 512, attributes: { device: 'sda', direction: 'write' } },
          ]),
          gauge('system.filesystem.utilization', [{ t: t1, value: 0.5 }]),
        ],
      },
    ]);
    const result = await ingestOtlpMetrics(database.sql, 'acme', body, options);
    expect(result).toMatchObject({ accepted: 4, refused: {} });
    expect(await stored(acmeVm.id)).toEqual([
      ['CPU_PERCENT', 60_000, 37.5],
      ['DISK_READ_BYTES', 60_000, 5120],
      ['DISK_WRITE_BYTES', 60_000, 512],
      ['MEMORY_PERCENT', 60_000, 62.5],
    ]);
  });

  it('turns cumulative network counters into per-interval deltas across exports, adding devices', async () => {
    const start = hoursAgo(3);
    const at = (seconds: number) => plusSeconds(base, seconds);
    const send = (points: { t: Date; value: number; attributes: Record<string, string> }[]) =>
      ingestOtlpMetrics(database.sql, 'acme', exportBody([{ resource: { 'novacron.vm.id': acmeVm.id }, metrics: [cumulativeSum('system.network.io', start, points)] }]), options);
    // The first point of each counter is only a baseline.
    expect((await send([{ t: at(120), value: 1000, attributes: { device: 'eth0', direction: 'receive' } }])).accepted).toBe(0);
    await send([
      { t: at(180), value: 1600, attributes: { device: 'eth0', direction: 'receive' } },
      { t: at(240), value: 2000, attributes: { device: 'eth0', direction: 'receive' } },
      { t: at(180), value: 50, attributes: { device: 'eth1', direction: 'receive' } },
      { t: at(240), value: 80, attributes: { device: 'eth1', direction: 'receive' } },
    ]);
    // eth0: +600 at 180 s, +400 at 240 s; eth1 baseline at 180 s, +30 at 240 s.
    const network = (await stored(acmeVm.id)).filter(([kind]) => kind === 'NETWORK_IN_BYTES');
    expect(network).toEqual([
      ['NETWORK_IN_BYTES', 180_000, 600],
      ['NETWORK_IN_BYTES', 240_000, 430],
    ]);
    // A counter reset (new start time) counts from zero; a repeated point is not counted twice.
    await send([{ t: at(240), value: 2000, attributes: { device: 'eth0', direction: 'receive' } }]);
    await ingestOtlpMetrics(
      database.sql,
      'acme',
      exportBody([{ resource: { 'novacron.vm.id': acmeVm.id }, metrics: [cumulativeSum('system.network.io', at(250), [{ t: at(300), value: 70, attributes: { device: 'eth0', direction: 'receive' } }])] }]),
      options,
    );
    expect((await stored(acmeVm.id)).filter(([kind]) => kind === 'NETWORK_IN_BYTES')).toEqual([...network, ['NETWORK_IN_BYTES', 300_000, 70]]);
  });

  it('refuses and counts samples for another tenant’s VM or an unknown VM, storing nothing of them', async () => {
    const t = plusSeconds(base, 600);
    const cpu = gauge('system.cpu.utilization', [{ t, value: 0.5 }]);
    const result = await ingestOtlpMetrics(
      database.sql,
      'acme',
      exportBody([
        { resource: { 'novacron.vm.id': otherVm.id }, metrics: [cpu] },
        { resource: { 'host.id': 'i-other00000000001' }, metrics: [cpu] },
        { resource: { 'host.id': 'i-nobody' }, metrics: [cpu] },
        { resource: { 'novacron.vm.id': 'not-a-uuid' }, metrics: [cpu] },
      ]),
      options,
    );
    expect(result).toMatchObject({ accepted: 0, refused: { OTHER_TENANT: 2, UNKNOWN_VM: 2 } });
    expect(await stored(otherVm.id)).toEqual([]);
    expect(await readRefusals(database.sql, 'acme')).toEqual([
      { source: 'otlp', reason: 'OTHER_TENANT', count: 2 },
      { source: 'otlp', reason: 'UNKNOWN_VM', count: 2 },
    ]);
  });

  it('appends one live sample event per stored sample, in key order, readable at its cursor', async () => {
    const t = plusSeconds(base, 1200);
    const feedDb = drizzle(database.sql);
    const { endCursor: before } = await metricsOutbox.readFeed(feedDb, { stream: 'sample', first: 1 });
    const result = await ingestOtlpMetrics(
      database.sql,
      'acme',
      exportBody([
        { resource: { 'novacron.vm.id': otherVm.id }, metrics: [gauge('system.cpu.utilization', [{ t, value: 0.5 }])] },
        {
          resource: { 'novacron.vm.id': acmeVm.id },
          metrics: [
            gauge('system.memory.utilization', [{ t: plusSeconds(t, 60), value: 0.25 }]),
            gauge('system.cpu.utilization', [{ t: plusSeconds(t, 60), value: 0.75 }, { t, value: 0.5 }]),
          ],
        },
      ]),
      options,
    );
    expect(result).toMatchObject({ accepted: 3, refused: { OTHER_TENANT: 1 } });
    const { entries: mine } = await metricsOutbox.readFeed(feedDb, { stream: 'sample', first: 100, after: before, withPayload: true });
    expect(mine.map((entry) => [entry.tenantId, entry.entityId, entry.type, (entry.payload as { tMs: number }).tMs - t.getTime(), (entry.payload as { value: number }).value])).toEqual([
      ['acme', acmeVm.id, 'CPU_PERCENT', 0, 50],
      ['acme', acmeVm.id, 'CPU_PERCENT', 60_000, 75],
      ['acme', acmeVm.id, 'MEMORY_PERCENT', 60_000, 25],
    ]);
    expect(await findSampleEvent(database.sql, mine[1]!.cursor)).toEqual({ tenantId: 'acme', sample: { vmId: acmeVm.id, kind: 'CPU_PERCENT', t: plusSeconds(t, 60), value: 75 } });
  });

  it('refuses a malformed export whole with BAD_USER_INPUT naming the path, storing nothing', async () => {
    const before = await stored(acmeVm.id);
    const t = plusSeconds(base, 900);
    const valid = { resource: { 'novacron.vm.id': acmeVm.id }, metrics: [gauge('system.cpu.utilization', [{ t, value: 0.5 }])] };
    const broken = { resource: { 'novacron.vm.id': acmeVm.id }, metrics: [{ name: 'system.cpu.utilization', gauge: { dataPoints: [{ asDouble: 0.5 }] } }] };
    await expect(ingestOtlpMetrics(database.sql, 'acme', exportBody([valid, broken]), options)).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', field: 'resourceMetrics[1].scopeMetrics[0].metrics[0].gauge.dataPoints[0].timeUnixNano' },
    });
    await expect(ingestOtlpMetrics(database.sql, 'acme', { resourceMetrics: 'nope' }, options)).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'resourceMetrics' } });
    await expect(ingestOtlpMetrics(database.sql, 'acme', [], options)).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'body' } });
    expect(await stored(acmeVm.id)).toEqual(before);
  });
});
