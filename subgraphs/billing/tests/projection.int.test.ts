import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '@novacron/catalog';
import { applyVmEvents } from '../src/domain/applyVmEvents.ts';
import { costReport } from '../src/domain/costReport.ts';
import { vmCost } from '../src/domain/vmCost.ts';
import { epochSeconds } from '../src/domain/utcCalendar.ts';
import { createBillingDatabase } from './support/billingDatabase.ts';
import { vmEventStream } from './support/vmEventStream.ts';

const catalog = loadCatalog();
let database: Awaited<ReturnType<typeof createBillingDatabase>>;

beforeAll(async () => {
  database = await createBillingDatabase();
});
afterAll(async () => {
  await database?.drop();
});

const at = epochSeconds;

describe('the billing projection of the vms feed', () => {
  const tenant = 'acme';
  // The lifecycle of billableSegments.test.ts, arriving as vms events: October $0.291500, November $0.289330.
  const web = vmEventStream({ tenantId: tenant, provider: 'aws', region: 'us-east-1', instanceType: 'm6i.large', labels: { team: 'web' } });
  web.created('2026-10-31T20:00:00Z');
  web.running('2026-10-31T20:00:30Z');
  web.status('2026-10-31T22:00:30Z', 'STOPPING');
  web.status('2026-10-31T22:01:00Z', 'STOPPED');
  web.resized('2026-10-31T23:00:00Z', 'm6i.xlarge');
  web.status('2026-10-31T23:29:00Z', 'STARTING');
  web.running('2026-10-31T23:30:00Z');
  web.status('2026-11-01T01:30:00Z', 'DELETING');
  web.deleted('2026-11-01T01:31:00Z');
  // A GCP VM of another team, running since Nov 1 00:00: e2-standard-2 $0.06701/h, disk 10 GB × $0.10.
  const batch = vmEventStream({ tenantId: tenant, provider: 'gcp', region: 'us-central1', instanceType: 'e2-standard-2', labels: { team: 'batch' } });
  batch.created('2026-11-01T00:00:00Z');
  batch.running('2026-11-01T00:00:00Z');
  // Another tenant's VM: never in acme's numbers.
  const foreign = vmEventStream({ tenantId: 'globex', provider: 'aws', region: 'us-east-1', instanceType: 'm6i.8xlarge' });
  foreign.created('2026-11-01T00:00:00Z');
  foreign.running('2026-11-01T00:00:00Z');

  it('applies events idempotently: a replayed batch changes nothing', async () => {
    const all = [...web.events, ...batch.events, ...foreign.events];
    await database.db.transaction((tx) => applyVmEvents(tx, all, catalog));
    await database.db.transaction((tx) => applyVmEvents(tx, all.slice(3), catalog));
    const [{ count }] = await database.sql<[{ count: number }]>`select count(*)::int as count from billing.vm_history`;
    expect(count).toBe(all.length);
    const [row] = await database.sql`select status, instance_type, deleted_at from billing.vms where vm_id = ${web.id}`;
    expect(row).toMatchObject({ status: 'DELETED', instance_type: 'm6i.xlarge' });
  });

  it('keeps the newest event’s row of a VM with several events in a page, and a replayed page leaves every row as it was', async () => {
    const snapshot = async () => ({
      vm: await database.sql`select * from billing.vms where vm_id = ${batch.id}`,
      history: await database.sql`select * from billing.vm_history where vm_id = ${batch.id} order by version`,
    });
    const before = await snapshot();
    expect(before.vm).toEqual([
      expect.objectContaining({ status: 'RUNNING', version: 2, labels: { team: 'batch' }, instance_type: 'e2-standard-2', deleted_at: null, updated_at: '2026-11-01 00:00:00+00' }),
    ]);
    // e2-standard-2 at $0.06701/h and a 10 GB disk at $0.10 per GB-month, snapshotted with every history row.
    expect(before.history.map((row) => [row.status, String(row.compute_micros_per_hour), String(row.disk_micros_per_gb_month)])).toEqual([
      ['PENDING', '67010', '100000'],
      ['RUNNING', '67010', '100000'],
    ]);
    await database.db.transaction((tx) => applyVmEvents(tx, [...batch.events].reverse(), catalog));
    expect(await snapshot()).toEqual(before);
  });

  it('ignores an older version arriving after a newer one', async () => {
    await database.db.transaction((tx) => applyVmEvents(tx, [web.events[2]!], catalog));
    const [row] = await database.sql`select status, version from billing.vms where vm_id = ${web.id}`;
    expect(row).toMatchObject({ status: 'DELETED', version: 9 });
  });

  it('reports a running VM’s cost, accrued and projected to the end of the month', async () => {
    const cost = await vmCost(database.db, tenant, batch.id, at('2026-11-11T00:00:00Z'));
    // 10 days = 240 h × 67,010 µ$ = 16,082,400 µ$; disk $1.00/730 h → 10 daily items of 1,000,000 × 86,400 / 2,628,000 = 32,876.71 → 32,877.
    expect(cost.accruedMonthToDate).toBe(16_082_400n + 10n * 32_877n);
    // November has 30 days: 720 h × 67,010 = 48,247,200; disk 30 × 32,877 = 986,310.
    expect(cost.projectedMonth).toBe(48_247_200n + 986_310n);
    expect(cost).toMatchObject({ computeHourly: 67_010n, diskMonthly: 1_000_000n, hourlyRate: 67_010n + 1_370n, currency: 'USD' });
  });

  it('costs a deleted VM what it ran, and nothing more', async () => {
    const cost = await vmCost(database.db, tenant, web.id, at('2026-11-20T00:00:00Z'));
    expect(cost).toMatchObject({ accruedMonthToDate: 289_330n, projectedMonth: 289_330n, hourlyRate: 0n, diskMonthly: 0n });
  });

  it('refuses another tenant’s VM cost', async () => {
    await expect(vmCost(database.db, tenant, foreign.id, at('2026-11-20T00:00:00Z'))).rejects.toMatchObject({ extensions: { code: 'NOT_FOUND' } });
  });

  it('groups a report whose groups add up exactly to its total, per day and per month', async () => {
    const request = { from: at('2026-10-31T00:00:00Z'), to: at('2026-11-03T00:00:00Z'), groupBy: ['PROVIDER', 'INSTANCE_TYPE'] as const, step: 'DAY' as const };
    const report = await costReport(database.db, tenant, { ...request, groupBy: [...request.groupBy] }, at('2026-11-20T00:00:00Z'));
    const sum = (values: bigint[]) => values.reduce((a, b) => a + b, 0n);
    expect(sum(report.groups.map((group) => group.total))).toBe(report.total);
    expect(sum(report.buckets.map((bucket) => bucket.amount))).toBe(report.total);
    for (const group of report.groups) expect(sum(group.buckets.map((bucket) => bucket.amount))).toBe(group.total);
    // web: Oct 31 $0.291500 (m6i.large 192,000 + m6i.xlarge 96,000 + disk 3,500, the disk under the type of its creation)
    // and Nov 1 $0.289330; batch: 2 days × (1,608,240 + 32,877).
    expect(report.total).toBe(291_500n + 289_330n + 2n * (1_608_240n + 32_877n));
    expect(report.buckets.map((bucket) => bucket.amount)).toEqual([291_500n, 289_330n + 1_608_240n + 32_877n, 1_608_240n + 32_877n]);
    const key = (provider: string, instanceType: string) => report.groups.find((group) => group.key.provider === provider && group.key.instanceType === instanceType)?.total;
    expect(key('aws', 'm6i.large')).toBe(192_000n + 3_500n + 1_330n);
    expect(key('aws', 'm6i.xlarge')).toBe(96_000n + 288_000n);
    const monthly = await costReport(database.db, tenant, { ...request, groupBy: ['LABEL'], labelKey: 'team', step: 'MONTH' }, at('2026-11-20T00:00:00Z'));
    expect(monthly.total).toBe(report.total);
    expect(monthly.buckets.map((bucket) => bucket.amount)).toEqual([291_500n, report.total - 291_500n]);
    expect(monthly.groups.map((group) => [group.key.label, group.total])).toEqual([
      ['batch', 2n * (1_608_240n + 32_877n)],
      ['web', 291_500n + 289_330n],
    ]);
  });

  it('refuses a LABEL report without a labelKey, naming the field', async () => {
    await expect(costReport(database.db, tenant, { from: 0, to: 86_400, groupBy: ['LABEL'], step: 'DAY' }, 86_400)).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', field: 'labelKey' },
    });
  });
});
