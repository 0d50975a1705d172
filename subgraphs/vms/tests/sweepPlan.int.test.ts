import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { TestDatabase } from '@novacron/testing';
import { requestCreate } from '../src/domain/requestOperation.ts';
import type { VmsServices } from '../src/context.ts';
import { checkJobsLockedSince, sweepExpiredLeases } from '../src/worker/sweepExpiredLeases.ts';
import { migratedTestServices, type MigratedTestServices } from './support/migratedTestServices.ts';

let setup: MigratedTestServices | undefined;
let database: TestDatabase;
let services: VmsServices;
const input = { provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', image: 'debian-12' };

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}

/** Every node of a plan that reads `relation`. */
function scansOf(node: PlanNode, relation: string): PlanNode[] {
  const own = node['Relation Name'] === relation && node['Node Type'] !== 'ModifyTable' ? [node] : [];
  return [...own, ...(node.Plans ?? []).flatMap((child) => scansOf(child, relation))];
}

beforeAll(async () => {
  setup = await migratedTestServices({ capacityPerRegion: 1_000 });
  ({ database, services } = setup);
});
afterAll(async () => {
  await setup?.drop();
});

describe('the sweeper on a queue that grew after its statistics were taken', () => {
  it("reads graphile-worker's jobs once per sweep, not once per waiting operation", async () => {
    await requestCreate(services, 'default', { ...input, name: 'plan-0' }, null);
    // Statistics of a short queue, as autovacuum takes them on a quiet platform.
    await database.sql`analyze vms.operations`;
    await database.sql`analyze graphile_worker._private_jobs`;
    for (let batch = 0; batch < 10; batch += 1) {
      await Promise.all(Array.from({ length: 30 }, (_, index) => requestCreate(services, 'default', { ...input, name: `plan-${batch}-${index}` }, null)));
    }
    const [row] = await services.db.execute<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(sql`explain (analyze, format json) ${checkJobsLockedSince(30)}`);
    const plan = row!['QUERY PLAN'][0].Plan;
    const jobScans = scansOf(plan, '_private_jobs');
    expect(jobScans.length).toBeGreaterThan(0);
    for (const scan of jobScans) expect(scan['Actual Loops']).toBe(1);

    // And the sweep still does its work on that queue: nothing is stale, so nothing is requeued.
    const sweep = await sweepExpiredLeases(services.db, { leaseSeconds: 30, queuedLeaseSeconds: 300 });
    expect(sweep).toEqual({ redriven: [], requeued: [] });
    const [{ waiting } = { waiting: 0 }] = await database.sql<{ waiting: number }[]>`select count(*)::int as waiting from vms.operations where status = 'QUEUED'`;
    expect(waiting).toBe(301);
  });
});
