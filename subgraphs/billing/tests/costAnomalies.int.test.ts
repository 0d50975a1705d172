import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '@novacron/catalog';
import { applyVmEvents } from '../src/domain/applyVmEvents.ts';
import { detectCostAnomalies, listCostAnomalies } from '../src/domain/detectCostAnomalies.ts';
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

describe('cost anomalies', () => {
  it('turns a day far above the trailing 14 days into one anomaly per scope and a budgetAlerts event', async () => {
    const steady = vmEventStream({ tenantId: 'spiky', provider: 'aws', region: 'us-east-1', instanceType: 'm6i.large' });
    steady.created('2026-11-01T00:00:00Z');
    steady.running('2026-11-01T00:00:00Z');
    const burst = vmEventStream({ tenantId: 'spiky', provider: 'aws', region: 'us-east-1', instanceType: 'm6i.8xlarge' });
    burst.created('2026-11-15T00:00:00Z');
    burst.running('2026-11-15T00:00:00Z');
    burst.deleted('2026-11-16T00:00:00Z');
    await database.db.transaction((tx) => applyVmEvents(tx, [...steady.events, ...burst.events], catalog));

    // Nov 14: same as every day before it.
    expect(await detectCostAnomalies(database.db, 'spiky', epochSeconds('2026-11-14T00:00:00Z'))).toEqual([]);
    // Nov 15: the steady VM's $2.325041 plus the burst's 24 h × $1.536 + disk (21,041 µ$) = $39.210082, against a flat $2.325041.
    const alerts = await detectCostAnomalies(database.db, 'spiky', epochSeconds('2026-11-15T00:00:00Z'));
    expect(alerts.map((alert) => [alert.scope, alert.spend, alert.baselineMean, alert.baselineStddev])).toEqual([
      ['PROVIDER:aws', '39.210082', '2.325041', '0.000000'],
      ['TENANT', '39.210082', '2.325041', '0.000000'],
    ]);
    expect(await detectCostAnomalies(database.db, 'spiky', epochSeconds('2026-11-15T00:00:00Z'))).toEqual([]);
    const stored = await listCostAnomalies(database.db, 'spiky', { from: epochSeconds('2026-11-01T00:00:00Z'), to: epochSeconds('2026-12-01T00:00:00Z') });
    expect(stored).toHaveLength(2);
    expect(await listCostAnomalies(database.db, 'other', { from: 0, to: epochSeconds('2027-01-01T00:00:00Z') })).toEqual([]);
    const events = await database.sql`select type from billing.alert_events where tenant_id = 'spiky'`;
    expect(events.map((event) => event.type)).toEqual(['COST_ANOMALY', 'COST_ANOMALY']);
  });
});
