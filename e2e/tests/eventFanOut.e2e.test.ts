import { describe, expect, it } from 'vitest';
import { CreateVmDocument, VmEventsDocument, waitForOperation, type VmEventsSubscription } from '@novacron/sdk';
import { redisServerInstalled, startRedis, waitFor } from '@novacron/testing';
import { collect, createVmInput, spawnGateway, startPlatform, streamHead, subscriptionsClient } from '../src/index.ts';

type Event = VmEventsSubscription['vmEvents'];
const eventsOf = (results: { data?: VmEventsSubscription | null }[]): Event[] => results.map((result) => result.data?.vmEvents).filter((event): event is Event => Boolean(event));

// Polling is set to ten minutes: whatever arrives within the test came through the signal path.
const noPolling = { EVENT_POLL_INTERVAL_MS: '600000' };

async function twoGatewaysDeliver(redisUrl?: string) {
  await using platform = await startPlatform({ redisUrl, simLatencyMs: '20-40' });
  const signalEnv: Record<string, string> = redisUrl ? { REDIS_URL: platform.gatewayEnv.REDIS_URL ?? '', REDIS_PREFIX: platform.gatewayEnv.REDIS_PREFIX ?? '' } : {};
  const env = { VMS_URL: platform.vms.url, DATABASE_URL: platform.database.url, NOVACRON_KEYS_DIR: platform.keysDir, ...signalEnv, ...noPolling };
  const gateways = await Promise.all([spawnGateway(env), spawnGateway(env)]);
  try {
    for (const gateway of gateways) expect(gateway.output()).toContain(redisUrl ? '"eventSignals":"redis"' : '"eventSignals":"postgres"');
    const batch = `fanout-${Date.now().toString(36)}`;
    const clients = gateways.map((gateway) => subscriptionsClient(gateway.url, { token: platform.token }));
    const head = await streamHead(platform, 'vm');
    const streams = clients.map((client) => collect(client, VmEventsDocument, { filter: { labels: [{ key: 'batch', value: batch }] }, after: head }));
    const reachesRunning = async (vmId: string | undefined) => {
      for (const stream of streams) {
        await stream.waitFor((results) => eventsOf(results).some((event) => event.vm.id === vmId && event.vm.status === 'RUNNING'), 20_000);
      }
    };
    // The first VM's events may reach a subscription by replay (after the head taken above), so once
    // both have it, both subscriptions are live...
    const { createVM: first } = await platform.client.request(CreateVmDocument, { input: createVmInput({ labels: { batch } }) });
    await reachesRunning(first.vm?.id);
    // ...and the second VM's events can only come through the signal path: polling is off.
    const { createVM } = await platform.client.request(CreateVmDocument, { input: createVmInput({ labels: { batch } }) });
    await waitForOperation(platform.client, createVM.id, { intervalMs: 20 });
    await reachesRunning(createVM.vm?.id);
    expect(eventsOf(streams[0]?.results ?? [])).toEqual(eventsOf(streams[1]?.results ?? []));
    for (const stream of streams) stream.stop();
    await Promise.all(clients.map((client) => client.dispose()));
  } finally {
    await Promise.all(gateways.map((gateway) => gateway.stop()));
  }
}

describe('event fan-out to gateway replicas', () => {
  it('delivers an event committed by a worker process through two gateway processes over LISTEN/NOTIFY', async () => {
    await twoGatewaysDeliver();
  });

  it.runIf(redisServerInstalled || process.env.CI)('delivers an event committed by a worker process through two gateway processes over Redis', async () => {
    await using redis = await startRedis();
    await twoGatewaysDeliver(redis.url);
  });

  it.runIf(redisServerInstalled || process.env.CI)('keeps mutations working through a Redis outage, and a resuming client misses nothing and sees nothing twice', async () => {
    await using redis = await startRedis();
    await using platform = await startPlatform({ redisUrl: redis.url, simLatencyMs: '20-40', gatewayEnv: { EVENT_POLL_INTERVAL_MS: '500' } });
    const batch = `outage-${Date.now().toString(36)}`;
    const client = subscriptionsClient(platform.gateway.url, { token: platform.token, retryAttempts: 10 });
    const stream = collect(client, VmEventsDocument, { filter: { labels: [{ key: 'batch', value: batch }] } }, { resumableCursor: (data) => data.vmEvents.cursor });
    await waitFor(() => platform.gateway.subscriptions.engine.stats().subscribers > 0);
    const created: string[] = [];
    const createOne = async () => {
      const { createVM } = await platform.client.request(CreateVmDocument, { input: createVmInput({ labels: { batch } }) });
      await waitForOperation(platform.client, createVM.id, { intervalMs: 20 });
      created.push(createVM.vm?.id ?? '');
    };
    await createOne();
    await redis.stop();
    await createOne();
    await createOne();
    // The client's connection drops too (as with a gateway restart): it resumes from its last cursor.
    client.client.terminate();
    await createOne();
    await redis.start();
    await createOne();
    const expected = await platform.database.sql<{ key: string }[]>`
      select vm_id || '@' || vm_version as key from vms.vm_events where vm_id = any(${created}::uuid[]) order by 1`;
    await stream.waitFor((results) => eventsOf(results).length >= expected.length, 30_000);
    const keys = eventsOf(stream.results).map((event) => `${event.vm.id}@${event.version}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect([...keys].sort()).toEqual(expected.map((row) => row.key));
    stream.stop();
    await client.dispose();
  });
});
