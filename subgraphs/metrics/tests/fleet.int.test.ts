import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { migrateMetrics } from '../src/db/migrateMetrics.ts';
import { project } from './support/project.ts';
import { planSeriesQuery, type SeriesRequest } from '../src/domain/planSeriesQuery.ts';
import { readFleetSeries } from '../src/domain/readFleetSeries.ts';
import { defaultRetention, maintainPartitions } from '../src/domain/retention.ts';
import { rollUpPending } from '../src/domain/rollUpPending.ts';
import { writeSamples } from '../src/domain/writeSamples.ts';
import { hoursAgo, plusSeconds } from './support/timeline.ts';
import { vmHistory } from './support/vmEvents.ts';

let database: TestDatabase;
const now = new Date();
const planOptions = { now, maxPoints: 11_000, retention: defaultRetention };
const hour = hoursAgo(3);

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateMetrics(database.url);
  await maintainPartitions(database.sql, now, defaultRetention);
  // acme: two VMs in us-east-1 (team web, team db), one in eu-west-1 (no team); another tenant in us-east-1.
  const fleet: { tenantId: string; region: string; labels: Record<string, string>; value: number }[] = [
    { tenantId: 'acme', region: 'us-east-1', labels: { team: 'web' }, value: 10 },
    { tenantId: 'acme', region: 'us-east-1', labels: { team: 'db' }, value: 30 },
    { tenantId: 'acme', region: 'eu-west-1', labels: {}, value: 50 },
    { tenantId: 'other', region: 'us-east-1', labels: { team: 'web' }, value: 1000 },
  ];
  for (const spec of fleet) {
    const vm = vmHistory({ tenantId: spec.tenantId, region: spec.region, labels: spec.labels });
    await project(database.sql, [vm.event('CREATED', {}, hoursAgo(10)), vm.event('STATE_CHANGED', { status: 'RUNNING', providerId: `i-${vm.id.slice(0, 8)}` }, hoursAgo(10))]);
    // Twelve 5-minute buckets, one sample each minute: value, value + 2 (mean value + 1).
    await writeSamples(
      database.sql,
      Array.from({ length: 60 }, (_, i) => ({ vmId: vm.id, kind: 'CPU_PERCENT' as const, t: plusSeconds(hour, i * 60), value: spec.value + (i % 2) * 2 })),
    );
  }
  await rollUpPending(database.sql, new Date());
});
afterAll(async () => {
  await database?.drop();
});

const request = (aggregate: SeriesRequest['aggregate'], step = 3600): SeriesRequest => ({ kind: 'CPU_PERCENT', from: hour, to: plusSeconds(hour, 3600), step, aggregate });

describe('fleetMetrics', () => {
  it('groups the tenant’s VMs by region, never counting another tenant’s', async () => {
    const groups = await readFleetSeries(database.sql, 'acme', planSeriesQuery(request('AVG'), planOptions), { groupBy: 'REGION' });
    // us-east-1: samples 10/12 and 30/32 → mean 21; eu-west-1: 50/52 → 51.
    expect(groups.map((group) => [group.key, group.vmCount, group.points.map((point) => point.value)])).toEqual([
      ['eu-west-1', 1, [51]],
      ['us-east-1', 2, [21]],
    ]);
  });

  it('gives the same results from 5-minute rollups and from raw samples', async () => {
    const plan = planSeriesQuery(request('MAX', 300), planOptions);
    const raw = await readFleetSeries(database.sql, 'acme', { ...plan, resolution: 'RAW' }, { groupBy: 'PROVIDER' });
    const rollup = await readFleetSeries(database.sql, 'acme', { ...plan, resolution: 'ROLLUP_5M' }, { groupBy: 'PROVIDER' });
    expect(rollup).toEqual(raw);
    expect(raw[0]!.points.map((point) => point.value)).toEqual(Array(12).fill(52));
    const sum = await readFleetSeries(database.sql, 'acme', { ...planSeriesQuery(request('SUM'), planOptions), resolution: 'ROLLUP_1H' }, { groupBy: 'PROVIDER' });
    // 30 samples each of 10, 12, 30, 32, 50, 52.
    expect(sum[0]!.points[0]!.value).toBe(30 * (10 + 12 + 30 + 32 + 50 + 52));
  });

  it('groups by a label, putting VMs without it in a null group, and filters by labels and region', async () => {
    const plan = planSeriesQuery(request('MIN'), planOptions);
    const byTeam = await readFleetSeries(database.sql, 'acme', plan, { groupBy: 'LABEL', labelKey: 'team' });
    expect(byTeam.map((group) => [group.key, group.points[0]!.value])).toEqual([
      ['db', 30],
      ['web', 10],
      [null, 50],
    ]);
    const filtered = await readFleetSeries(database.sql, 'acme', plan, { groupBy: 'REGION', filter: { regions: ['us-east-1'], labels: [{ key: 'team', value: 'db' }] } });
    expect(filtered.map((group) => [group.key, group.vmCount, group.points[0]!.value])).toEqual([['us-east-1', 1, 30]]);
    const withKey = await readFleetSeries(database.sql, 'acme', plan, { groupBy: 'PROVIDER', filter: { labels: [{ key: 'team' }] } });
    expect(withKey.map((group) => group.vmCount)).toEqual([2]);
  });

  it('refuses LABEL grouping without labelKey', async () => {
    await expect(readFleetSeries(database.sql, 'acme', planSeriesQuery(request('AVG'), planOptions), { groupBy: 'LABEL' })).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', field: 'labelKey' },
    });
  });
});
