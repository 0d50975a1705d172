import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateVmDocument, StopVmDocument, VmEventsDocument, waitForOperation, type VmEventsSubscription } from '@novacron/sdk';
import { requestCreate, pruneEvents } from '@novacron/vms/internal';
import { createDatabase } from '@novacron/vms/db';
import { waitFor } from '@novacron/testing';
import { collect, createVmInput, startPlatform, subscriptionsClient, type Platform } from '../src/index.ts';

let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform({ simLatencyMs: '20-40' });
});
afterAll(async () => {
  await platform?.stop();
});

type Event = VmEventsSubscription['vmEvents'];
const eventsOf = (results: { data?: VmEventsSubscription | null }[]): Event[] => results.map((result) => result.data?.vmEvents).filter((event): event is Event => Boolean(event));

async function createRunningVm(labels: Record<string, string>) {
  const { createVM } = await platform.client.request(CreateVmDocument, { input: createVmInput({ labels }) });
  await waitForOperation(platform.client, createVM.id, { intervalMs: 20 });
  return createVM.vm?.id ?? '';
}

async function storedVersions(vmIds: string[]): Promise<string[]> {
  const rows = await platform.database.sql<{ vm_id: string; vm_version: number }[]>`
    select vm_id, vm_version from vms.vm_events where vm_id = any(${vmIds}::uuid[]) order by vm_id, vm_version`;
  return rows.map((row) => `${row.vm_id}@${row.vm_version}`);
}

describe('resuming vmEvents', () => {
  it('replays every missed event in order after the cursor, then continues live with no gap and no repeat', async () => {
    const batch = `resume-${Date.now().toString(36)}`;
    const client = subscriptionsClient(platform.gateway.url, { token: platform.token });
    const first = collect(client, VmEventsDocument, { filter: { labels: [{ key: 'batch', value: batch }] } });
    await waitFor(() => platform.gateway.subscriptions.engine.stats().subscribers > 0);
    const vmA = await createRunningVm({ batch });
    await first.waitFor((results) => eventsOf(results).some((event) => event.vm.id === vmA && event.vm.status === 'RUNNING'));
    first.stop();
    const seen = eventsOf(first.results);
    const lastCursor = seen.at(-1)?.cursor ?? '';

    // Missed while disconnected:
    const vmB = await createRunningVm({ batch });
    await waitForOperation(platform.client, (await platform.client.request(StopVmDocument, { id: vmA })).stopVM.id, { intervalMs: 20 });

    const resumed = collect(client, VmEventsDocument, { filter: { labels: [{ key: 'batch', value: batch }] }, after: lastCursor });
    await resumed.waitFor((results) => eventsOf(results).some((event) => event.vm.id === vmA && event.vm.status === 'STOPPED'));
    // And live after the replay:
    const vmC = await createRunningVm({ batch });
    await resumed.waitFor((results) => eventsOf(results).some((event) => event.vm.id === vmC && event.vm.status === 'RUNNING'));

    const all = [...seen, ...eventsOf(resumed.results)];
    const keys = all.map((event) => `${event.vm.id}@${event.version}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect([...keys].sort()).toEqual(await storedVersions([vmA, vmB, vmC]));
    for (const vmId of [vmA, vmB, vmC]) {
      const versions = all.filter((event) => event.vm.id === vmId).map((event) => event.version);
      expect(versions).toEqual([...versions].sort((a, b) => a - b));
    }
    resumed.stop();
    await client.dispose();
  });

  it('fails with RESYNC_REQUIRED for a cursor older than the retention window', async () => {
    const batch = `resync-${Date.now().toString(36)}`;
    const client = subscriptionsClient(platform.gateway.url, { token: platform.token });
    const live = collect(client, VmEventsDocument, { filter: { labels: [{ key: 'batch', value: batch }] } });
    await waitFor(() => platform.gateway.subscriptions.engine.stats().subscribers > 0);
    const vm = await createRunningVm({ batch });
    await live.waitFor((results) => eventsOf(results).some((event) => event.vm.id === vm && event.vm.status === 'RUNNING'));
    const oldCursor = eventsOf(live.results)[0]?.cursor ?? '';
    live.stop();
    await pruneEvents(createDatabase(platform.database.sql), 0);
    const resumed = collect(client, VmEventsDocument, { filter: { labels: [{ key: 'batch', value: batch }] }, after: oldCursor });
    const errors = (await resumed.error) as { extensions?: { code?: string } }[];
    expect(errors[0]?.extensions?.code).toBe('RESYNC_REQUIRED');
    await client.dispose();
  });

  it('rejects a malformed cursor as BAD_USER_INPUT', async () => {
    const client = subscriptionsClient(platform.gateway.url, { token: platform.token });
    const resumed = collect(client, VmEventsDocument, { after: 'not-a-cursor' });
    const errors = (await resumed.error) as { extensions?: { code?: string; field?: string } }[];
    expect(errors[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    await client.dispose();
  });
});

describe('who sees what', () => {
  it('shows an unfiltered subscriber only its own tenant\'s VMs', async () => {
    const client = subscriptionsClient(platform.gateway.url, { token: platform.token });
    const everything = collect(client, VmEventsDocument, {});
    await waitFor(() => platform.gateway.subscriptions.engine.stats().subscribers > 0);
    const foreign = await requestCreate(platform.vms.services, 'another-tenant', createVmInput({ name: `foreign-${Date.now().toString(36)}` }), null);
    const mine = await createRunningVm({});
    await everything.waitFor((results) => eventsOf(results).some((event) => event.vm.id === mine && event.vm.status === 'RUNNING'));
    // The foreign VM's operation ran too (its events are in the stream), but none reached us.
    await waitFor(async () => {
      const [row] = await platform.database.sql<{ status: string }[]>`select status from vms.operations where id = ${foreign.id}`;
      return row?.status === 'SUCCEEDED';
    });
    const [{ n: foreignEvents } = { n: 0 }] = await platform.database.sql<{ n: number }[]>`select count(*)::int as n from vms.vm_events where vm_id = ${foreign.vmId}`;
    expect(foreignEvents).toBeGreaterThan(1);
    // A later own event proves the stream moved past the foreign ones.
    const later = await createRunningVm({});
    await everything.waitFor((results) => eventsOf(results).some((event) => event.vm.id === later && event.vm.status === 'RUNNING'));
    expect(eventsOf(everything.results).some((event) => event.vm.id === foreign.vmId)).toBe(false);
    everything.stop();
    await client.dispose();
  });
});

describe('shared execution', () => {
  it('runs one payload execution per event for identical subscriptions', async () => {
    const batch = `shared-${Date.now().toString(36)}`;
    const clients = Array.from({ length: 3 }, () => subscriptionsClient(platform.gateway.url, { token: platform.token }));
    const variables = { filter: { labels: [{ key: 'batch', value: batch }] } };
    const streams = clients.map((client) => collect(client, VmEventsDocument, variables));
    const engine = platform.gateway.subscriptions.engine;
    await waitFor(() => engine.stats().subscribers >= 3);
    const before = engine.stats();
    const vm = await createRunningVm({ batch });
    for (const stream of streams) await stream.waitFor((results) => eventsOf(results).some((event) => event.vm.id === vm && event.vm.status === 'RUNNING'));
    const after = engine.stats();
    const events = eventsOf(streams[0]?.results ?? []).length;
    expect(events).toBeGreaterThan(1);
    for (const stream of streams) expect(eventsOf(stream.results)).toEqual(eventsOf(streams[0]?.results ?? []));
    expect(after.deliveries - before.deliveries).toBe(events * 3);
    expect(after.payloadExecutions - before.payloadExecutions).toBe(events);
    for (const stream of streams) stream.stop();
    await Promise.all(clients.map((client) => client.dispose()));
  });
});
