import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { migrateMetrics } from '../src/db/migrateMetrics.ts';
import { project } from './support/project.ts';
import { findVms, findVmsByProviderId, listRunningVms } from '../src/domain/vmDirectory.ts';
import { hoursAgo, plusSeconds } from './support/timeline.ts';
import { vmHistory } from './support/vmEvents.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateMetrics(database.url);
});
afterAll(async () => {
  await database?.drop();
});

const intervals = async (vmId: string) =>
  (
    await database.sql<{ started: number; stopped: number | null }[]>`
      select (extract(epoch from started_at) * 1000)::float8 as started, (extract(epoch from stopped_at) * 1000)::float8 as stopped
      from metrics.vm_running_intervals where vm_id = ${vmId} order by started_at`
  ).map((row) => [row.started, row.stopped]);

describe('VM projection', () => {
  it('learns a VM, its provider id, labels and running intervals from its events', async () => {
    const base = hoursAgo(6);
    const vm = vmHistory({ tenantId: 'acme', labels: { workload: 'web' } });
    const events = [
      vm.event('CREATED', {}, base),
      vm.event('STATE_CHANGED', { status: 'RUNNING', providerId: 'i-0123456789abcdef0' }, plusSeconds(base, 60)),
      vm.event('STATE_CHANGED', { status: 'STOPPED' }, plusSeconds(base, 3600)),
      vm.event('STATE_CHANGED', { status: 'RUNNING' }, plusSeconds(base, 7200)),
    ];
    await project(database.sql, events);
    const known = (await findVms(database.sql, [vm.id])).get(vm.id);
    expect(known).toMatchObject({ tenantId: 'acme', provider: 'aws', region: 'us-east-1', status: 'RUNNING', providerId: 'i-0123456789abcdef0', labels: { workload: 'web' }, deleted: false });
    expect(await intervals(vm.id)).toEqual([
      [plusSeconds(base, 60).getTime(), plusSeconds(base, 3600).getTime()],
      [plusSeconds(base, 7200).getTime(), null],
    ]);
    expect((await findVmsByProviderId(database.sql, 'acme', ['i-0123456789abcdef0'])).get('i-0123456789abcdef0')?.vmId).toBe(vm.id);
    expect((await findVmsByProviderId(database.sql, 'other', ['i-0123456789abcdef0'])).size).toBe(0);
    expect((await listRunningVms(database.sql)).map((running) => running.vmId)).toContain(vm.id);
  });

  it('ignores replayed and older events, so applying a feed twice gives the same projection', async () => {
    const base = hoursAgo(4);
    const vm = vmHistory();
    const events = [
      vm.event('CREATED', {}, base),
      vm.event('STATE_CHANGED', { status: 'RUNNING', providerId: 'i-aaaaaaaaaaaaaaaa1' }, plusSeconds(base, 10)),
      vm.event('STATE_CHANGED', { status: 'STOPPED' }, plusSeconds(base, 20)),
    ];
    await project(database.sql, events);
    const once = await intervals(vm.id);
    await project(database.sql, events);
    await project(database.sql, [events[1]!]);
    expect(await intervals(vm.id)).toEqual(once);
    expect((await findVms(database.sql, [vm.id])).get(vm.id)?.status).toBe('STOPPED');
    expect((await listRunningVms(database.sql)).map((running) => running.vmId)).not.toContain(vm.id);
  });

  it('gives the same projection whether a history arrives in one page, one event per page, or in overlapping replayed pages', async () => {
    const base = hoursAgo(2);
    const lifecycle = () => {
      const vm = vmHistory({ tenantId: 'acme', labels: { tier: 'web' } });
      const events = [
        vm.event('CREATED', {}, base),
        vm.event('STATE_CHANGED', { status: 'RUNNING', providerId: 'i-cccccccccccccccc1' }, plusSeconds(base, 10)),
        // A stop stamped before its start (clock skew): the interval is closed at its start, not before it.
        vm.event('STATE_CHANGED', { status: 'STOPPED', providerId: null }, plusSeconds(base, 5)),
        vm.event('STATE_CHANGED', { status: 'RUNNING' }, plusSeconds(base, 30)),
        vm.event('UPDATED', { labels: { tier: 'batch' } }, plusSeconds(base, 40)),
        vm.event('DELETED', { status: 'DELETED' }, plusSeconds(base, 50)),
        vm.event('DRIFTED', { status: 'ERROR' }, plusSeconds(base, 60)),
      ];
      return { id: vm.id, events };
    };
    // Each history has its own creation time, compared apart.
    const projection = async ({ id, events }: ReturnType<typeof lifecycle>) => {
      const [{ created, ...row }] = await database.sql<[{ created: boolean } & Record<string, unknown>]>`
        select tenant_id, provider, region, status, provider_id, labels, version, created_at = ${events[0]!.payload.createdAt}::timestamptz as created,
          deleted_at, updated_at from metrics.vms where vm_id = ${id}`;
      expect(created).toBe(true);
      return { row, intervals: await intervals(id) };
    };
    const onePage = lifecycle();
    await project(database.sql, onePage.events);
    const eventByEvent = lifecycle();
    for (const event of eventByEvent.events) await project(database.sql, [event]);
    const overlapping = lifecycle();
    await project(database.sql, overlapping.events.slice(0, 2));
    await project(database.sql, overlapping.events.slice(1, 4));
    await project(database.sql, overlapping.events);

    const expected = await projection(eventByEvent);
    expect(expected.row).toMatchObject({ tenant_id: 'acme', status: 'ERROR', provider_id: 'i-cccccccccccccccc1', labels: { tier: 'batch' }, version: 7 });
    expect(new Date(expected.row!.deleted_at as string).getTime()).toBe(plusSeconds(base, 50).getTime());
    expect(expected.intervals).toEqual([
      [plusSeconds(base, 10).getTime(), plusSeconds(base, 10).getTime()],
      [plusSeconds(base, 30).getTime(), plusSeconds(base, 50).getTime()],
    ]);
    expect(await projection(onePage)).toEqual(expected);
    expect(await projection(overlapping)).toEqual(expected);
  });

  it('marks a deleted VM and closes its running interval', async () => {
    const base = hoursAgo(3);
    const vm = vmHistory();
    await project(database.sql, [
      vm.event('CREATED', {}, base),
      vm.event('STATE_CHANGED', { status: 'RUNNING', providerId: 'i-bbbbbbbbbbbbbbbb1' }, plusSeconds(base, 10)),
      vm.event('DELETED', { status: 'DELETED' }, plusSeconds(base, 30)),
    ]);
    expect((await findVms(database.sql, [vm.id])).get(vm.id)?.deleted).toBe(true);
    expect(await intervals(vm.id)).toEqual([[plusSeconds(base, 10).getTime(), plusSeconds(base, 30).getTime()]]);
  });
});
