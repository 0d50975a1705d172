import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { parse } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateVmDocument, waitForOperation } from '@novacron/sdk';
import { scrapeMetrics, waitFor } from '@novacron/testing';
import { collect, createVmInput, openRawGraphQLSocket, startPlatform, subscriptionsClient, type Platform } from '../src/index.ts';

let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform({
    simLatencyMs: '0',
    gatewayEnv: {
      WS_CONNECTION_INIT_TIMEOUT_MS: '500',
      WS_MAX_MESSAGE_BYTES: '16384',
      WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: '3',
      WS_MAX_BUFFERED_BYTES: '262144',
      WS_SUBSCRIPTION_QUEUE_LIMIT: '1000',
      EVENT_POLL_INTERVAL_MS: '200',
    },
  });
});
afterAll(async () => {
  await platform?.stop();
});

/** A light subscription: the healthy client's events are small, only the slow client's are heavy. */
const LightVmEvents = parse('subscription Light($filter: VMEventFilter) { vmEvents(filter: $filter) { version vm { id } } }') as TypedDocumentNode<
  { vmEvents: { version: number; vm: { id: string } } },
  { filter: { labels: { key: string; value: string }[] } }
>;

const subscribeMessage = (id: string, query = 'subscription { vmEvents { cursor } }') => ({ id, type: 'subscribe', payload: { query } });

describe('graphql-ws protocol', () => {
  it('closes a connection that never sends connection_init with 4408', async () => {
    const raw = await openRawGraphQLSocket(platform.gateway.url);
    expect((await raw.closed).code).toBe(CloseCode.ConnectionInitialisationTimeout);
  });

  it('closes a connection that subscribes before connection_init with 4401', async () => {
    const raw = await openRawGraphQLSocket(platform.gateway.url);
    raw.send(subscribeMessage('early'));
    expect((await raw.closed).code).toBe(CloseCode.Unauthorized);
  });

  it('closes a connection that reuses a subscription id with 4409', async () => {
    const raw = await openRawGraphQLSocket(platform.gateway.url);
    raw.send({ type: 'connection_init', payload: { authorization: `Bearer ${platform.token}` } });
    await raw.waitForMessage((message) => message.type === 'connection_ack');
    raw.send(subscribeMessage('same'));
    raw.send(subscribeMessage('same'));
    expect((await raw.closed).code).toBe(CloseCode.SubscriberAlreadyExists);
  });

  it('closes a connection that sends an oversized message with 4400', async () => {
    const raw = await openRawGraphQLSocket(platform.gateway.url);
    raw.send({ type: 'connection_init', payload: { authorization: `Bearer ${platform.token}` } });
    await raw.waitForMessage((message) => message.type === 'connection_ack');
    raw.send(subscribeMessage('big', `subscription { vmEvents { cursor } } # ${'x'.repeat(20_000)}`));
    const { code, reason } = await raw.closed;
    expect(code).toBe(CloseCode.BadRequest);
    expect(reason).toMatch(/larger than/);
  });

  it('answers a subscription past the per-connection limit with RATE_LIMITED and keeps the others', async () => {
    const raw = await openRawGraphQLSocket(platform.gateway.url);
    raw.send({ type: 'connection_init', payload: { authorization: `Bearer ${platform.token}` } });
    await raw.waitForMessage((message) => message.type === 'connection_ack');
    for (const id of ['1', '2', '3', '4']) raw.send(subscribeMessage(id));
    const refused = await raw.waitForMessage((message) => message.type === 'error');
    expect(refused.id).toBe('4');
    expect((refused.payload as { extensions: { code: string } }[])[0]?.extensions.code).toBe('RATE_LIMITED');
    expect(raw.socket.readyState).toBe(raw.socket.OPEN);
    raw.socket.close();
  });

  it('validates subscriptions against the schema before running them', async () => {
    const raw = await openRawGraphQLSocket(platform.gateway.url);
    raw.send({ type: 'connection_init', payload: { authorization: `Bearer ${platform.token}` } });
    await raw.waitForMessage((message) => message.type === 'connection_ack');
    raw.send(subscribeMessage('bad', 'subscription { vmEvents { noSuchField } }'));
    const error = await raw.waitForMessage((message) => message.type === 'error');
    expect(JSON.stringify(error.payload)).toMatch(/noSuchField/);
    raw.socket.close();
  });

  it('serves queries over the socket too', async () => {
    const raw = await openRawGraphQLSocket(platform.gateway.url);
    raw.send({ type: 'connection_init', payload: { authorization: `Bearer ${platform.token}` } });
    await raw.waitForMessage((message) => message.type === 'connection_ack');
    raw.send({ id: 'q', type: 'subscribe', payload: { query: '{ providers { name simulated } }' } });
    const next = await raw.waitForMessage((message) => message.type === 'next');
    expect((next.payload as { data: { providers: unknown[] } }).data.providers).toHaveLength(3);
    raw.socket.close();
  });
});

describe('slow consumers', () => {
  it('drops a client that stops reading while a second client on the same gateway keeps receiving every event', async () => {
    const batch = `slow-${Date.now().toString(36)}`;
    // Twenty-five aliases (under the alias limit) of a VM with 64 long labels make each event about
    // 400 KB, so an unread socket (and the kernel buffers behind it) fills after a few events.
    const heavySelection = Array.from({ length: 25 }, (_, index) => `v${index}: vm { id labels }`).join(' ');
    const labels = { batch, ...Object.fromEntries(Array.from({ length: 63 }, (_, index) => [`padding-${index}`, 'x'.repeat(255)])) };
    const slow = await openRawGraphQLSocket(platform.gateway.url);
    slow.send({ type: 'connection_init', payload: { authorization: `Bearer ${platform.token}` } });
    await slow.waitForMessage((message) => message.type === 'connection_ack');
    slow.send(subscribeMessage('heavy', `subscription { vmEvents(filter: { labels: [{ key: "batch", value: "${batch}" }] }) { cursor ${heavySelection} } }`));
    const client = subscriptionsClient(platform.gateway.url, { token: platform.token });
    const healthy = collect(client, LightVmEvents, { filter: { labels: [{ key: 'batch', value: batch }] } });
    await waitFor(() => platform.gateway.subscriptions.engine.stats().subscribers >= 2);
    // The slow client stops reading: its kernel buffers fill, then the gateway's.
    const transport = (slow.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    transport.pause();

    const engine = platform.gateway.subscriptions.engine;
    const dropsBefore = engine.stats().slowConsumersDropped;
    const created: string[] = [];
    for (let round = 0; round < 30 && engine.stats().slowConsumersDropped === dropsBefore; round += 1) {
      const operations = await Promise.all(
        Array.from({ length: 4 }, () => platform.client.request(CreateVmDocument, { input: createVmInput({ labels }) })),
      );
      created.push(...operations.map((operation) => operation.createVM.vm?.id ?? ''));
      await Promise.all(operations.map((operation) => waitForOperation(platform.client, operation.createVM.id, { intervalMs: 20 })));
    }
    expect(engine.stats().slowConsumersDropped).toBe(dropsBefore + 1);
    expect((await scrapeMetrics(platform.gateway.metricsUrl)).sum('novacron_slow_consumer_drops_total')).toBe(dropsBefore + 1);
    // Reading again, the slow client finds the close frame behind the data it had not read.
    transport.resume();
    const { code, reason } = await slow.closed;
    expect(code).toBe(1013); // Try Again Later: graphql-ws clients reconnect and resume
    expect(reason).toMatch(/Slow consumer/);

    const expected = await platform.database.sql<{ n: number }[]>`select count(*)::int as n from vms.vm_events where vm_id = any(${created}::uuid[])`;
    await healthy.waitFor((results) => results.length >= (expected[0]?.n ?? Infinity), 60_000);
    const keys = healthy.results.map((result) => `${result.data?.vmEvents.vm.id}@${result.data?.vmEvents.version}`);
    expect(new Set(keys).size).toBe(expected[0]?.n);
    expect(engine.stats().slowConsumersDropped).toBe(dropsBefore + 1);
    healthy.stop();
    await client.dispose();
  });
});
