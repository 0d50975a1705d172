import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { createProviderRegistry, generateSimulatedSamples, migrateSimulatedCloud, type ProviderRegistry } from '@novacron/providers';
import { migrateMetrics } from '../src/db/migrateMetrics.ts';
import { project } from './support/project.ts';
import { collectSamples } from '../src/domain/collectSamples.ts';
import { defaultRetention, maintainPartitions } from '../src/domain/retention.ts';
import { vmHistory } from './support/vmEvents.ts';

let database: TestDatabase;
let providers: ProviderRegistry;

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateMetrics(database.url);
  await migrateSimulatedCloud(database.url);
  await maintainPartitions(database.sql, new Date(), defaultRetention);
  providers = createProviderRegistry({ sql: database.sql, latencyMs: { min: 0, max: 0 }, capacityPerRegion: 100 });
});
afterAll(async () => {
  await database?.drop();
});

const options = () => ({ now: new Date(), retention: defaultRetention, maxFutureMs: 600_000 });

/** A simulated aws instance that has been running for 30 minutes, and its VM in the projection. */
async function runningVm(labels: Record<string, string>) {
  const aws = providers.get('aws')!;
  const instance = await aws.create({ clientToken: randomUUID(), name: 'collected', region: 'us-east-1', instanceType: 't3.micro', image: 'ubuntu-24.04', labels });
  const since = new Date(Date.now() - 30 * 60_000);
  await database.sql`update simcloud.instances set updated_at = ${since.toISOString()}::timestamptz where provider_id = ${instance.providerId}`;
  const vm = vmHistory({ tenantId: 'acme', labels });
  await project(database.sql, [vm.event('CREATED', {}, since), vm.event('STATE_CHANGED', { status: 'RUNNING', providerId: instance.providerId }, since)]);
  return { vm, instance };
}

const storedCount = async (vmId: string) => (await database.sql<{ n: number }[]>`select count(*)::int as n from metrics.samples where vm_id = ${vmId}`)[0]!.n;

describe('pull collection', () => {
  it('stores the simulated samples of running VMs, exactly the provider’s series', async () => {
    const { vm } = await runningVm({ workload: 'database' });
    const to = new Date();
    const from = new Date(to.getTime() - 5 * 60_000);
    const result = await collectSamples(database.sql, providers, { from, to }, options());
    expect(result.failedProviders).toEqual([]);
    expect(result.accepted).toBe(5 * 6);
    const expected = generateSimulatedSamples({ vmId: vm.id, labels: { workload: 'database' } }, from, to);
    const rows = await database.sql<{ kind: string; ms: number; value: number }[]>`
      select kind::text as kind, (extract(epoch from ts) * 1000)::float8 as ms, value from metrics.samples where vm_id = ${vm.id}`;
    const key = (kind: string, ms: number) => `${kind}@${ms}`;
    expect(new Map(rows.map((row) => [key(row.kind, row.ms), row.value]))).toEqual(new Map(expected.map((s) => [key(s.kind, s.t.getTime()), s.value])));
  });

  it('collects nothing for a stopped VM', async () => {
    const { vm, instance } = await runningVm({});
    await providers.get('aws')!.stop(instance.providerId);
    await project(database.sql, [vm.event('STATE_CHANGED', { status: 'STOPPED' }, new Date())]);
    const to = new Date();
    await collectSamples(database.sql, providers, { from: new Date(to.getTime() - 5 * 60_000), to }, options());
    expect(await storedCount(vm.id)).toBe(0);
  });

  it('refuses samples a driver reports for VMs it was not asked about', async () => {
    const fake = { get: () => ({ metrics: async () => [{ vmId: randomUUID(), kind: 'CPU_PERCENT' as const, t: new Date(), value: 1 }] }) };
    await runningVm({});
    const result = await collectSamples(database.sql, fake, { from: new Date(Date.now() - 60_000), to: new Date() }, options());
    expect(result.refused.UNKNOWN_VM).toBeGreaterThan(0);
    expect(result.samples).toEqual([]);
  });
});
