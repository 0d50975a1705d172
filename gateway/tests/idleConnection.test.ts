import type { IncomingMessage } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parse, type ExecutionResult } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { waitFor } from '@novacron/testing';
import { createExpiryTimers } from '../src/subscriptions/createExpiryTimers.ts';
import { createSubscriptionEngine } from '../src/subscriptions/createSubscriptionEngine.ts';
import type { ConnectionExtra } from '../src/subscriptions/createWebSocketServer.ts';
import { parseSubscription } from '../src/subscriptions/parseSubscription.ts';
import { createFeedFixture, fixtureEngineParts, itemsDeclarations, itemsSchema, viewerScope } from './support/feedFixture.ts';
import { listenFixtureTransport } from './support/fixtureTransport.ts';

const [schema, declarations, scope] = [itemsSchema, itemsDeclarations, viewerScope];
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A full garbage collection (V8's `gc`, exposed for this test only). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** The real WebSocket transport and engine over an in-memory feed; records what `authenticate` was handed. */
async function startGateway(connectionInitTimeoutMs = 5_000) {
  const feed = createFeedFixture('things.item');
  const { tail, ...parts } = fixtureEngineParts(feed);
  const engine = createSubscriptionEngine({ schema, declarations, ...parts, executePayload: async (): Promise<ExecutionResult> => ({ data: { probe: null } }) });
  const handed: { request: WeakRef<IncomingMessage>; connectionParams: WeakRef<object> }[] = [];
  const connected: Readonly<ConnectionExtra>[] = [];
  const transport = await listenFixtureTransport(engine, tail, {
    schema,
    authenticate: async (connectionParams, request) => {
      handed.push({ request: new WeakRef(request), connectionParams: new WeakRef(connectionParams as object) });
      return scope;
    },
    onConnected: (extra) => connected.push(extra),
    limits: { connectionInitTimeoutMs },
  });
  cleanups.push(transport.close);
  return { url: transport.url, engine, handed, connected };
}

/** A bare graphql-transport-ws client holding one subscription. */
async function subscribe(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url, 'graphql-transport-ws');
  cleanups.push(() => socket.close());
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const acknowledged = new Promise((resolve) => socket.once('message', resolve));
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer a-token-the-gateway-need-not-keep' } }));
  await acknowledged;
  socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { items { id cursor } }' } }));
  return socket;
}

describe('an idle subscribed connection', () => {
  it('no longer holds the upgrade request or the connection_init payload once initialised', async () => {
    const gateway = await startGateway();
    await subscribe(gateway.url);
    await waitFor(() => gateway.engine.stats().subscribers === 1);

    expect(gateway.connected).toHaveLength(1);
    expect(gateway.connected[0]!.request).toBeNull();
    expect(gateway.connected[0]!.scope).toBe(scope);
    // Nothing else keeps them either (the socket is open and subscribed while this runs).
    collectGarbage();
    expect(gateway.handed).toHaveLength(1);
    expect(gateway.handed[0]!.request.deref()).toBeUndefined();
    expect(gateway.handed[0]!.connectionParams.deref()).toBeUndefined();
  });

  it('is not closed by the connection_init timeout, while a socket that never sent it is (4408)', async () => {
    const gateway = await startGateway(200);
    const initialised = await subscribe(gateway.url);
    await waitFor(() => gateway.engine.stats().subscribers === 1);
    const silent = new WebSocket(gateway.url, 'graphql-transport-ws');
    cleanups.push(() => silent.close());
    const closed = new Promise<number>((resolve) => silent.once('close', (code) => resolve(code)));
    // The silent socket opened after the initialised one: when its timer fires, the other's has too.
    expect(await closed).toBe(CloseCode.ConnectionInitialisationTimeout);
    expect(initialised.readyState).toBe(WebSocket.OPEN);
    expect(gateway.engine.stats().subscribers).toBe(1);
  });

  it('shares one payload query among identical subscriptions', () => {
    const document = parse('subscription Items($after: String) { items(after: $after) { id } }');
    const first = parseSubscription(schema, declarations, { document, variables: { after: 'a' } });
    const second = parseSubscription(schema, declarations, { document, variables: { after: 'b' } });
    expect(second.payloadDocument).toBe(first.payloadDocument);
    expect(second.payloadVariables).toEqual({ after: 'b' });
  });
});

describe('expiry timers', () => {
  it('expire every connection of an instant with one timer, and none that was removed', async () => {
    const expired: string[] = [];
    const timers = createExpiryTimers<string>((item) => expired.push(item));
    cleanups.push(() => timers.clear());
    const soon = Date.now() + 20;
    timers.add('a', soon);
    timers.add('b', soon);
    timers.add('c', soon);
    timers.add('later', Date.now() + 3_600_000);
    expect(timers.timers).toBe(2);
    timers.remove('b', soon);

    await waitFor(() => expired.length === 2);
    expect(expired.sort()).toEqual(['a', 'c']);
    expect(timers.timers).toBe(1);
    timers.remove('later', soon); // the wrong instant: still due
    expect(timers.timers).toBe(1);
  });

  it('drops the timer of an instant whose connections all ended', () => {
    const timers = createExpiryTimers<string>(() => {
      throw new Error('nothing should expire');
    });
    cleanups.push(() => timers.clear());
    const at = Date.now() + 3_600_000;
    timers.add('a', at);
    timers.add('b', at);
    timers.remove('a', at);
    expect(timers.timers).toBe(1);
    timers.remove('b', at);
    expect(timers.timers).toBe(0);
  });
});
