import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '@novacron/catalog';
import { applyVmEvents } from '../src/domain/applyVmEvents.ts';
import { sumMicros } from '../src/domain/money.ts';
import { epochSeconds } from '../src/domain/utcCalendar.ts';
import { vmCost } from '../src/domain/vmCost.ts';
import { infrastructureCostByLabels } from '../src/observeInfrastructureCost.ts';
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

const now = epochSeconds('2026-11-02T00:00:00Z');
const labels = (provider: string, region: string, instanceType: string) => ({ provider, region, instanceType });

describe('novacron_infrastructure_cost_usd from the billing projection', () => {
  // Two running t3.micro of two tenants, one stopped, one deleted; a running GCP VM.
  const running = [vmEventStream({ tenantId: 'acme', provider: 'aws', region: 'us-east-1', instanceType: 't3.micro' }), vmEventStream({ tenantId: 'globex', provider: 'aws', region: 'us-east-1', instanceType: 't3.micro' })];
  const stopped = vmEventStream({ tenantId: 'acme', provider: 'aws', region: 'us-east-1', instanceType: 't3.micro' });
  const deleted = vmEventStream({ tenantId: 'acme', provider: 'aws', region: 'us-east-1', instanceType: 't3.micro' });
  const gcp = vmEventStream({ tenantId: 'acme', provider: 'gcp', region: 'us-central1', instanceType: 'e2-standard-2' });
  for (const vm of [...running, stopped, deleted, gcp]) {
    vm.created('2026-11-01T00:00:00Z');
    vm.running('2026-11-01T00:01:00Z');
  }
  stopped.status('2026-11-01T02:00:00Z', 'STOPPING');
  stopped.status('2026-11-01T02:01:00Z', 'STOPPED');
  deleted.status('2026-11-01T03:00:00Z', 'DELETING');
  deleted.deleted('2026-11-01T03:01:00Z');

  beforeAll(async () => {
    const events = [...running, stopped, deleted, gcp].flatMap((vm) => vm.events);
    await database.db.transaction((tx) => applyVmEvents(tx, events, catalog));
  });

  it('sums per label set exactly what VM.cost says each live VM costs per hour', async () => {
    const costs = await infrastructureCostByLabels(database.db);
    const aws = costs.find((cost) => cost.provider === 'aws');
    const hourly = async (tenant: string, vmId: string) => (await vmCost(database.db, tenant, vmId, now)).hourlyRate;
    const expected = sumMicros(await Promise.all([hourly('acme', running[0]!.id), hourly('globex', running[1]!.id), hourly('acme', stopped.id)]));
    expect(expected).toBeGreaterThan(0n);
    expect(aws).toMatchObject(labels('aws', 'us-east-1', 't3.micro'));
    expect((aws?.computeHourly ?? 0n) + (aws?.diskHourly ?? 0n)).toBe(expected);
    // Compute of the two running ones at the catalog's $0.0104/h; the stopped one pays for its disk only.
    expect(aws?.computeHourly).toBe(2n * 10_400n);
    expect(aws?.diskHourly).toBe(3n * (await vmCost(database.db, 'acme', stopped.id, now)).hourlyRate);
    const google = costs.find((cost) => cost.provider === 'gcp');
    expect(google).toMatchObject(labels('gcp', 'us-central1', 'e2-standard-2'));
    expect((google?.computeHourly ?? 0n) + (google?.diskHourly ?? 0n)).toBe(await hourly('acme', gcp.id));
    expect(costs).toHaveLength(2);
  });
});
