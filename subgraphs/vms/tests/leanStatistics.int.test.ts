import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDatabase } from '@novacron/testing';
import { requestCreate } from '../src/domain/requestOperation.ts';
import type { VmsServices } from '../src/context.ts';
import { migratedTestServices, type MigratedTestServices } from './support/migratedTestServices.ts';

// The high-churn tables sample 3,000 rows per ANALYZE instead of 30,000 (migration 0007): every
// column's target is set, since one column left at the default brings the large sample back.
const leanTables = ['vms.operations', 'vms.operation_events', 'vms.vm_events', 'vms.audit_log'];

let setup: MigratedTestServices | undefined;
let database: TestDatabase;
let services: VmsServices;

beforeAll(async () => {
  setup = await migratedTestServices({ capacityPerRegion: 1_000 });
  ({ database, services } = setup);
});
afterAll(async () => {
  await setup?.drop();
});

interface ColumnTarget {
  table: string;
  column: string;
  type: string;
  target: number | null;
}

const columnTargets = () =>
  database.sql<ColumnTarget[]>`
    select a.attrelid::regclass::text as table, a.attname as column, format_type(a.atttypid, a.atttypmod) as type,
           a.attstattarget::int as target
    from pg_attribute a
    where a.attrelid in ('vms.operations'::regclass, 'vms.operation_events'::regclass, 'vms.vm_events'::regclass,
                         'vms.audit_log'::regclass, 'vms.vms'::regclass)
      and a.attnum > 0 and not a.attisdropped
    order by 1, 2`;

describe('statistics targets of the high-churn tables', () => {
  it('are set on every column: 0 for the jsonb bodies, 10 for the rest; vms.vms keeps the default', async () => {
    const columns = await columnTargets();
    for (const table of leanTables) {
      const own = columns.filter((column) => column.table === table);
      expect(own.length, table).toBeGreaterThan(3);
      for (const column of own) {
        // A column at the default (null) means a later migration added it without a target.
        expect(column).toEqual({ ...column, target: column.type === 'jsonb' ? 0 : 10 });
      }
    }
    const inventory = columns.filter((column) => column.table === 'vms.vms');
    expect(inventory.length).toBeGreaterThan(3);
    for (const column of inventory) expect(column.target, column.column).toBeNull();
  });

  it('still give the planner the status frequencies and key ranges the queue reads by', async () => {
    const input = { provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', image: 'debian-12' };
    for (let batch = 0; batch < 5; batch += 1) {
      await Promise.all(Array.from({ length: 30 }, (_, index) => requestCreate(services, 'default', { ...input, name: `lean-${batch}-${index}` }, null)));
    }
    await database.sql`analyze vms.operations`;
    await database.sql`analyze vms.operation_events`;
    const stats = await database.sql<{ table: string; column: string; common: string[] | null; bounds: number | null }[]>`
      select schemaname || '.' || tablename as table, attname as column, most_common_vals::text::text[] as common,
             array_length(histogram_bounds::text::text[], 1) as bounds
      from pg_stats where schemaname = 'vms' and tablename in ('operations', 'operation_events')`;
    const of = (table: string, column: string) => stats.find((row) => row.table === table && row.column === column);
    // Every operation is QUEUED: the most common value the worker's claim plans by.
    expect(of('vms.operations', 'status')?.common).toEqual(['QUEUED']);
    // A target of 10 keeps at most 11 histogram bounds, and the jsonb bodies get no statistics at all.
    expect(of('vms.operations', 'created_at')?.bounds ?? 0).toBeLessThanOrEqual(11);
    expect(of('vms.operation_events', 'seq')?.bounds).toBeGreaterThan(1);
    expect(of('vms.operation_events', 'seq')?.bounds).toBeLessThanOrEqual(11);
    expect(of('vms.operations', 'steps')).toBeUndefined();
    expect(of('vms.operation_events', 'payload')).toBeUndefined();
  });
});
