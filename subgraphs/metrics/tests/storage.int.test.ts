import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { migrateMetrics } from '../src/db/migrateMetrics.ts';
import { ingestSamples } from '../src/domain/ingestSamples.ts';
import { planSeriesQuery, type Resolution, type SeriesPlan, type SeriesRequest } from '../src/domain/planSeriesQuery.ts';
import { readSeries } from '../src/domain/readSeries.ts';
import { defaultRetention, maintainPartitions } from '../src/domain/retention.ts';
import { rollUpPending } from '../src/domain/rollUpPending.ts';
import { sketchRelativeAccuracy } from '../src/domain/sketch.ts';
import { writeSamples } from '../src/domain/writeSamples.ts';
import type { Sample } from '../src/domain/Sample.ts';
import { hoursAgo, plusSeconds } from './support/timeline.ts';

let database: TestDatabase;
const now = new Date();
const planOptions = { now, maxPoints: 11_000, retention: defaultRetention };

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateMetrics(database.url);
  await maintainPartitions(database.sql, now, defaultRetention);
});
afterAll(async () => {
  await database?.drop();
});

/** A plan for a request, read at a forced resolution. */
function planAt(request: SeriesRequest, resolution: Resolution): SeriesPlan {
  return { ...planSeriesQuery(request, planOptions), resolution };
}

async function seriesOf(vmId: string, plan: SeriesPlan) {
  const series = await readSeries(database.sql, plan, { kind: 'one', vmId });
  return series.get('')!.map((point) => point.value);
}

describe('rollups', () => {
  // One sample a minute for an hour; the values are 1..60 in a shuffled order (i·7 mod 60 + 1).
  const vmId = randomUUID();
  const hour = hoursAgo(3);
  const samples: Sample[] = Array.from({ length: 60 }, (_, i) => ({ vmId, kind: 'CPU_PERCENT', t: plusSeconds(hour, i * 60), value: ((i * 7) % 60) + 1 }));

  beforeAll(async () => {
    await writeSamples(database.sql, samples);
    const done = await rollUpPending(database.sql, new Date());
    expect(done).toEqual({ fiveMinute: 12, oneHour: 1 });
  });

  const hourRequest = (aggregate: SeriesRequest['aggregate']): SeriesRequest => ({ kind: 'CPU_PERCENT', from: hour, to: plusSeconds(hour, 3600), step: 3600, aggregate });

  it.each(['RAW', 'ROLLUP_5M', 'ROLLUP_1H'] as const)('gives the hand-computed AVG, MIN, MAX and SUM over an hour exactly from %s', async (resolution) => {
    // 1 + 2 + … + 60 = 1830; average 30.5.
    expect(await seriesOf(vmId, planAt(hourRequest('AVG'), resolution))).toEqual([30.5]);
    expect(await seriesOf(vmId, planAt(hourRequest('MIN'), resolution))).toEqual([1]);
    expect(await seriesOf(vmId, planAt(hourRequest('MAX'), resolution))).toEqual([60]);
    expect(await seriesOf(vmId, planAt(hourRequest('SUM'), resolution))).toEqual([1830]);
  });

  it('gives the exact nearest-rank P95 and P99 from raw samples', async () => {
    // Nearest rank: ceil(0.95·60) = 57th value = 57; ceil(0.99·60) = 60th = 60.
    expect(await seriesOf(vmId, planAt(hourRequest('P95'), 'RAW'))).toEqual([57]);
    expect(await seriesOf(vmId, planAt(hourRequest('P99'), 'RAW'))).toEqual([60]);
  });

  it.each(['ROLLUP_5M', 'ROLLUP_1H'] as const)('gives P95 and P99 from %s within the sketch error bound', async (resolution) => {
    const [p95] = await seriesOf(vmId, planAt(hourRequest('P95'), resolution));
    const [p99] = await seriesOf(vmId, planAt(hourRequest('P99'), resolution));
    const bound = sketchRelativeAccuracy * (1 + 1e-9);
    expect(Math.abs(p95! - 57) / 57).toBeLessThanOrEqual(bound);
    expect(Math.abs(p99! - 60) / 60).toBeLessThanOrEqual(bound);
    // The estimate is not just the exact value by accident of an empty computation.
    expect(p95).not.toBeNull();
  });

  it('keeps count, sum, min, max and the sketch of every 5-minute bucket', async () => {
    const rows = await database.sql<{ count: number; sum: number; min: number; max: number; sketch_counts: number[] }[]>`
      select count, sum, min, max, sketch_counts from metrics.rollups_5m where vm_id = ${vmId} order by bucket_start`;
    expect(rows).toHaveLength(12);
    // First bucket: i = 0..4 → 1, 8, 15, 22, 29.
    expect(rows[0]).toMatchObject({ count: 5, sum: 75, min: 1, max: 29 });
    expect(rows[0]!.sketch_counts.reduce((a, b) => a + b, 0)).toBe(5);
    const [hourRow] = await database.sql<{ count: number; sum: number }[]>`select count, sum from metrics.rollups_1h where vm_id = ${vmId}`;
    expect(hourRow).toMatchObject({ count: 60, sum: 1830 });
  });

  it('returns 5-minute buckets at step 300 with the hand-computed averages', async () => {
    const plan = planAt({ kind: 'CPU_PERCENT', from: hour, to: plusSeconds(hour, 900), step: 300, aggregate: 'AVG' }, 'ROLLUP_5M');
    // Buckets: i 0..4 → 1,8,15,22,29 (avg 15); i 5..9 → 36,43,50,57,4 (avg 38); i 10..14 → 11,18,25,32,39 (avg 25).
    expect(await seriesOf(vmId, plan)).toEqual([15, 38, 25]);
  });
});

describe('writes', () => {
  it('keeps the last write of the same VM, kind and timestamp, in a batch and across batches', async () => {
    const vmId = randomUUID();
    const t = hoursAgo(2);
    await writeSamples(database.sql, [
      { vmId, kind: 'MEMORY_PERCENT', t, value: 1 },
      { vmId, kind: 'MEMORY_PERCENT', t, value: 2 },
    ]);
    const read = async () => (await database.sql<{ value: number }[]>`select value from metrics.samples where vm_id = ${vmId}`).map((row) => row.value);
    expect(await read()).toEqual([2]);
    await rollUpPending(database.sql, new Date());
    await writeSamples(database.sql, [{ vmId, kind: 'MEMORY_PERCENT', t, value: 3 }]);
    expect(await read()).toEqual([3]);
    // The replaced sample made its bucket pending again: the rollup follows the last write.
    await rollUpPending(database.sql, new Date());
    const [rollup] = await database.sql<{ count: number; sum: number }[]>`select count, sum from metrics.rollups_5m where vm_id = ${vmId}`;
    expect(rollup).toMatchObject({ count: 1, sum: 3 });
  });

  it('keeps the last write of each key in an unordered batch with duplicates, marking each bucket once', async () => {
    const vmA = randomUUID();
    const vmB = randomUUID();
    const t = hoursAgo(2);
    const minute = (n: number) => plusSeconds(t, n * 60);
    const count = await writeSamples(database.sql, [
      { vmId: vmB, kind: 'CPU_PERCENT', t: minute(1), value: 1 },
      { vmId: vmA, kind: 'MEMORY_PERCENT', t: minute(0), value: 2 },
      { vmId: vmA, kind: 'CPU_PERCENT', t: minute(2), value: 3 },
      { vmId: vmB, kind: 'CPU_PERCENT', t: minute(1), value: 4 },
      { vmId: vmA, kind: 'CPU_PERCENT', t: minute(0), value: 5 },
      { vmId: vmB, kind: 'CPU_PERCENT', t: minute(1), value: 6 },
    ]);
    expect(count).toBe(4);
    const rows = await database.sql<{ vm: string; kind: string; value: number }[]>`
      select case when vm_id = ${vmA}::uuid then 'A' else 'B' end as vm, kind::text as kind, value from metrics.samples
      where vm_id in (${vmA}::uuid, ${vmB}::uuid) order by 1, 2, ts`;
    expect(rows.map((row) => [row.vm, row.kind, row.value])).toEqual([
      ['A', 'CPU_PERCENT', 5],
      ['A', 'CPU_PERCENT', 3],
      ['A', 'MEMORY_PERCENT', 2],
      ['B', 'CPU_PERCENT', 6],
    ]);
    const [pending] = await database.sql<{ n: number }[]>`select count(*)::int as n from metrics.rollup_pending_5m where vm_id in (${vmA}::uuid, ${vmB}::uuid)`;
    expect(pending!.n).toBe(minute(0).getTime() % 300_000 <= 180_000 ? 3 : 4);
  });

  it('refuses a malformed VM id or kind before writing anything', async () => {
    const t = hoursAgo(2);
    await expect(writeSamples(database.sql, [{ vmId: 'x}, {y', kind: 'CPU_PERCENT', t, value: 1 }])).rejects.toThrow(/not a VM id/);
    const vmId = randomUUID();
    await expect(writeSamples(database.sql, [{ vmId, kind: 'CPU_PERCENT,X' as 'CPU_PERCENT', t, value: 1 }])).rejects.toThrow(/not a metric kind/);
    const [row] = await database.sql<{ n: number }[]>`select count(*)::int as n from metrics.samples where vm_id = ${vmId}::uuid`;
    expect(row!.n).toBe(0);
  });

  it('rolls a bucket up only once it has closed (and its grace has passed)', async () => {
    const vmId = randomUUID();
    const bucketStart = new Date(Math.floor(now.getTime() / 300_000) * 300_000);
    await writeSamples(database.sql, [{ vmId, kind: 'CPU_PERCENT', t: bucketStart, value: 5 }]);
    const rollups = async () => (await database.sql<{ n: number }[]>`select count(*)::int as n from metrics.rollups_5m where vm_id = ${vmId}`)[0]!.n;
    await rollUpPending(database.sql, new Date(bucketStart.getTime() + 300_000));
    expect(await rollups()).toBe(0);
    await rollUpPending(database.sql, new Date(bucketStart.getTime() + 330_000));
    expect(await rollups()).toBe(1);
  });

  it('folds a late sample into rollups that were already computed', async () => {
    const vmId = randomUUID();
    const hour = hoursAgo(5);
    await writeSamples(database.sql, [{ vmId, kind: 'DISK_READ_BYTES', t: plusSeconds(hour, 60), value: 100 }]);
    await rollUpPending(database.sql, new Date());
    await writeSamples(database.sql, [{ vmId, kind: 'DISK_READ_BYTES', t: plusSeconds(hour, 3000), value: 300 }]);
    await rollUpPending(database.sql, new Date());
    const [rollup] = await database.sql<{ count: number; sum: number; max: number }[]>`select count, sum, max from metrics.rollups_1h where vm_id = ${vmId}`;
    expect(rollup).toMatchObject({ count: 2, sum: 400, max: 300 });
  });

  it('refuses negative, non-finite, too old and future samples, writing only the valid ones', async () => {
    const vmId = randomUUID();
    const result = await ingestSamples(
      database.sql,
      [
        { vmId, kind: 'CPU_PERCENT', t: hoursAgo(1), value: -1 },
        { vmId, kind: 'CPU_PERCENT', t: hoursAgo(1), value: Number.NaN },
        { vmId, kind: 'CPU_PERCENT', t: hoursAgo(24 * 8), value: 1 },
        { vmId, kind: 'CPU_PERCENT', t: new Date(now.getTime() + 3_600_000), value: 1 },
        { vmId, kind: 'CPU_PERCENT', t: hoursAgo(1), value: 4 },
      ],
      { now, retention: defaultRetention, maxFutureMs: 600_000 },
    );
    expect(result).toMatchObject({ accepted: 1, refused: { INVALID_VALUE: 2, OUTSIDE_RETENTION: 1, IN_THE_FUTURE: 1 } });
    expect(result.stored?.map((sample) => sample.value)).toEqual([4]);
    const rows = await database.sql<{ value: number }[]>`select value from metrics.samples where vm_id = ${vmId}`;
    expect(rows.map((row) => row.value)).toEqual([4]);
  });
});

describe('buckets', () => {
  it('aligns buckets to multiples of the step since the epoch and returns empty ones as null', async () => {
    const vmId = randomUUID();
    const hour = hoursAgo(4);
    // step 120 s from hour+30 s: buckets start at hour, hour+2 min, … (aligned down), five of them to hour+10 min.
    await writeSamples(database.sql, [
      { vmId, kind: 'NETWORK_IN_BYTES', t: plusSeconds(hour, 10), value: 5 },
      { vmId, kind: 'NETWORK_IN_BYTES', t: plusSeconds(hour, 70), value: 7 },
      { vmId, kind: 'NETWORK_IN_BYTES', t: plusSeconds(hour, 400), value: 11 },
    ]);
    const plan = planSeriesQuery({ kind: 'NETWORK_IN_BYTES', from: plusSeconds(hour, 30), to: plusSeconds(hour, 600), step: 120, aggregate: 'SUM' }, planOptions);
    expect(plan.resolution).toBe('RAW');
    expect(plan.firstBucket).toEqual(hour);
    const series = (await readSeries(database.sql, plan, { kind: 'one', vmId })).get('')!;
    expect(series.map((point) => point.t.getTime() - hour.getTime())).toEqual([0, 120_000, 240_000, 360_000, 480_000]);
    expect(series.map((point) => point.value)).toEqual([12, null, null, 11, null]);
  });

  it('returns a series of nulls for a VM without samples', async () => {
    const plan = planSeriesQuery({ kind: 'CPU_PERCENT', from: hoursAgo(2), to: hoursAgo(1), step: 600, aggregate: 'AVG' }, planOptions);
    const series = (await readSeries(database.sql, plan, { kind: 'one', vmId: randomUUID() })).get('')!;
    expect(series).toHaveLength(6);
    expect(series.every((point) => point.value === null)).toBe(true);
  });
});

describe('partitions', () => {
  const partitions = async () =>
    (
      await database.sql<{ name: string }[]>`
        select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent
        join pg_namespace n on n.oid = p.relnamespace where n.nspname = 'metrics' order by 1`
    ).map((row) => row.name);
  const day = (date: Date) => date.toISOString().slice(0, 10).replaceAll('-', '');
  const month = (date: Date) => date.toISOString().slice(0, 7).replace('-', '');

  it('creates raw partitions for the retention window and days ahead, and rollup partitions by month', async () => {
    const names = await partitions();
    for (let offset = -7; offset <= 3; offset++) expect(names).toContain(`samples_d${day(new Date(now.getTime() + offset * 86_400_000))}`);
    expect(names).toContain(`rollups_5m_m${month(now)}`);
    expect(names).toContain(`rollups_1h_m${month(now)}`);
    const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
    expect(names).toContain(`rollups_5m_m${month(next)}`);
    // Running again changes nothing.
    expect(await maintainPartitions(database.sql, now, defaultRetention)).toEqual([]);
  });

  it('drops partitions wholly older than retention and creates the new days ahead', async () => {
    const later = new Date(now.getTime() + 10 * 86_400_000);
    const changes = await maintainPartitions(database.sql, later, defaultRetention);
    const dropped = changes.filter((change) => change.action === 'dropped').map((change) => change.partitionName);
    const created = changes.filter((change) => change.action === 'created').map((change) => change.partitionName);
    // Ten days on, raw partitions of days ending before later − 7 days are gone: today's and older.
    expect(dropped).toContain(`samples_d${day(now)}`);
    expect(dropped).not.toContain(`samples_d${day(new Date(later.getTime() - 7 * 86_400_000))}`);
    expect(created).toContain(`samples_d${day(new Date(later.getTime() + 3 * 86_400_000))}`);
    // Rollups are kept far longer: no 5-minute month (90 days) is dropped, nor this month's hourly one.
    expect(dropped.filter((name) => name.startsWith('rollups_5m'))).toEqual([]);
    expect(dropped).not.toContain(`rollups_1h_m${month(now)}`);
    const names = await partitions();
    expect(names).not.toContain(`samples_d${day(now)}`);
    // 5-minute rollups go after 90 days, hourly ones stay for two years.
    const muchLater = new Date(now.getTime() + 200 * 86_400_000);
    const dropped200 = (await maintainPartitions(database.sql, muchLater, defaultRetention)).filter((c) => c.action === 'dropped').map((c) => c.partitionName);
    expect(dropped200).toContain(`rollups_5m_m${month(now)}`);
    expect(dropped200).not.toContain(`rollups_1h_m${month(now)}`);
  });
});

describe('planning', () => {
  const base: SeriesRequest = { kind: 'CPU_PERCENT', from: hoursAgo(2), to: hoursAgo(1), step: 60, aggregate: 'AVG' };
  const codeAndField = (request: SeriesRequest) => {
    try {
      planSeriesQuery(request, planOptions);
      return null;
    } catch (error) {
      const extensions = (error as { extensions: Record<string, unknown> }).extensions;
      return [extensions.code, extensions.field];
    }
  };

  it('refuses step 0, an inverted range and too many points with BAD_USER_INPUT naming the field', () => {
    expect(codeAndField({ ...base, step: 0 })).toEqual(['BAD_USER_INPUT', 'step']);
    expect(codeAndField({ ...base, step: 1.5 })).toEqual(['BAD_USER_INPUT', 'step']);
    expect(codeAndField({ ...base, from: base.to, to: base.from })).toEqual(['BAD_USER_INPUT', 'to']);
    expect(codeAndField({ ...base, from: hoursAgo(24 * 30), to: hoursAgo(0), step: 60 })).toEqual(['BAD_USER_INPUT', 'step']);
    expect(codeAndField(base)).toBeNull();
  });

  it('chooses raw for short recent ranges, 5-minute rollups for days, 1-hour rollups for weeks', () => {
    expect(planSeriesQuery({ ...base, step: 300 }, planOptions).resolution).toBe('RAW');
    expect(planSeriesQuery({ ...base, from: hoursAgo(24 * 7), to: hoursAgo(0), step: 300 }, planOptions).resolution).toBe('ROLLUP_5M');
    expect(planSeriesQuery({ ...base, from: hoursAgo(24 * 7), to: hoursAgo(0), step: 90 }, planOptions).resolution).toBe('RAW');
    expect(planSeriesQuery({ ...base, from: hoursAgo(24 * 30), to: hoursAgo(0), step: 3600 }, planOptions).resolution).toBe('ROLLUP_1H');
  });
});
