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

  it('keeps one series per provider, region and type after 1,000 VMs of many tenants, names and labels', async () => {
    const types = [labels('aws', 'us-east-1', 't3.micro'), labels('aws', 'eu-west-1', 'm6i.large'), labels('gcp', 'us-central1', 'e2-standard-2')];
    const fleet = Array.from({ length: 1_000 }, (_, index) => {
      const type = types[index % types.length]!;
      const vm = vmEventStream({ tenantId: `tenant-${index % 97}`, ...type, name: `vm-${index}`, labels: { build: String(index) } });
      vm.created('2026-11-01T05:00:00Z');
      if (index % 4 !== 0) vm.running('2026-11-01T05:01:00Z');
      return vm;
    });
    await database.db.transaction((tx) => applyVmEvents(tx, fleet.flatMap((vm) => vm.events), catalog));
    const costs = await infrastructureCostByLabels(database.db);
    expect(costs.map((cost) => labels(cost.provider, cost.region, cost.instanceType)).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual(
      [...types].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    );
    // The earlier VMs are still there: two running and one stopped t3.micro among them.
    const micro = costs.find((cost) => cost.instanceType === 't3.micro');
    const runningMicros = fleet.filter((_, index) => index % types.length === 0 && index % 4 !== 0).length + 2;
    expect(micro?.computeHourly).toBe(BigInt(runningMicros) * 10_400n);
  });
});
