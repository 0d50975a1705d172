import { describe, expect, it } from 'vitest';
import { CreateVmDocument, ProvidersDocument, VmEventsDocument, waitForOperation, type VmEventsSubscription } from '@novacron/sdk';
import { redisServerInstalled, startRedis, waitFor } from '@novacron/testing';
import { collect, createVmInput, spawnGateway, startPlatform, streamHead, subscriptionsClient, type Platform } from '../src/index.ts';

type Event = VmEventsSubscription['vmEvents'];
const eventsOf = (results: { data?: VmEventsSubscription | null }[]): Event[] => results.map((result) => result.data?.vmEvents).filter((event): event is Event => Boolean(event));

/** Subscribes to a fresh label on `gatewayUrl` after the stream's current head. */
async function followBatch(platform: Platform, gatewayUrl: string) {
  const batch = `batch-${Math.random().toString(36).slice(2, 10)}`;
  const client = subscriptionsClient(gatewayUrl, { token: platform.token });
  const stream = collect(client, VmEventsDocument, { filter: { labels: [{ key: 'batch', value: batch }] }, after: await streamHead(platform, 'vm') });
  const createRunning = async () => {
    const { createVM } = await platform.client.request(CreateVmDocument, { input: createVmInput({ labels: { batch } }) });
    await waitForOperation(platform.client, createVM.id, { intervalMs: 20 });
    await stream.waitFor((results) => eventsOf(results).some((event) => event.vm.id === createVM.vm?.id && event.vm.status === 'RUNNING'), 20_000);
  };
  return {
    createRunning,
    stop: async () => {
      stream.stop();
      await client.dispose();
    },
  };
}

describe.runIf(redisServerInstalled || process.env.CI)('a gateway started while Redis is down', () => {
  it('starts, serves queries and mutations, delivers events by polling, and switches to Redis signals once Redis is up', async () => {
    await using redis = await startRedis();
    await redis.stop();
    // Before the fix the gateway awaited the Redis subscription, ioredis rejected, and start() failed.
    await using platform = await startPlatform({ redisUrl: redis.url, simLatencyMs: '10-20', gatewayEnv: { EVENT_POLL_INTERVAL_MS: '300' } });
    expect(platform.gateway.stats()).toMatchObject({ eventSignals: 'redis', eventSignalsConnected: false });
    const { providers } = await platform.client.request(ProvidersDocument, {});
    expect(providers).toHaveLength(3);
    const polled = await followBatch(platform, platform.gateway.url);
    await polled.createRunning();
    await polled.stop();

    // A second gateway, as its own process, with polling off: whatever it delivers came by a signal.
    const env = {
      VMS_URL: platform.vms.url,
      NOVACRON_KEYS_DIR: platform.keysDir,
      REDIS_URL: platform.gatewayEnv.REDIS_URL ?? '',
      REDIS_PREFIX: platform.gatewayEnv.REDIS_PREFIX ?? '',
      EVENT_POLL_INTERVAL_MS: '600000',
    };
    const gateway = await spawnGateway(env);
    try {
      await redis.start();
      await waitFor(() => platform.gateway.stats().eventSignalsConnected === true, { description: 'the in-process gateway to subscribe to Redis' });
      await waitFor(() => gateway.output().includes('event signals connected'), { description: 'the gateway process to subscribe to Redis' });
      const signalled = await followBatch(platform, gateway.url);
      // The first VM may arrive by replay (the subscription may become live after it); once it has,
      // the subscription is live and the second VM's events can only come through Redis signals.
      await signalled.createRunning();
      await signalled.createRunning();
      await signalled.stop();
    } finally {
      await gateway.stop();
    }
  });
});
