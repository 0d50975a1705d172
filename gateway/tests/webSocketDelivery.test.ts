import { GraphQLError, type ExecutionResult, type FieldNode, type OperationDefinitionNode } from 'graphql';
import { MessageType, stringifyMessage } from 'graphql-ws';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { waitFor } from '@novacron/testing';
import { createSubscriptionEngine } from '../src/subscriptions/createSubscriptionEngine.ts';
import { cursorVariable } from '../src/subscriptions/rewriteToPayloadQuery.ts';
import { createFeedFixture, fixtureEngineParts, itemsDeclarations, itemsSchema } from './support/feedFixture.ts';
import { listenFixtureTransport } from './support/fixtureTransport.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The real WebSocket transport and engine over an in-memory feed; entity `broken` resolves with an error. */
async function startGateway() {
  const feed = createFeedFixture('things.item');
  const entityByCursor = new Map<string, string>();
  const { tail, ...parts } = fixtureEngineParts(feed);
  const engine = createSubscriptionEngine({
    schema: itemsSchema,
    declarations: itemsDeclarations,
    ...parts,
    executePayload: async (document, variables): Promise<ExecutionResult> => {
      const cursor = String(variables[cursorVariable]);
      if (cursor === '') return { data: { probe: null } };
      const root = (document.definitions[0] as OperationDefinitionNode).selectionSet.selections[0] as FieldNode;
      const key = root.alias?.value ?? root.name.value;
      const id = entityByCursor.get(cursor);
      if (id === 'broken') return { data: { [key]: null }, errors: [new GraphQLError('the things service is unavailable', { path: [key], extensions: { code: 'UNAVAILABLE', service: 'things' } })] };
      return { data: { [key]: { id, cursor } } };
    },
  });
  const transport = await listenFixtureTransport(engine, tail);
  cleanups.push(transport.close);
  const append = (entityId: string) => {
    const appended = feed.append({ tenantId: 'alpha', entityId });
    entityByCursor.set(appended.cursor, entityId);
    tail.wake();
    return appended.cursor;
  };
  return { url: transport.url, engine, append };
}

/** A bare graphql-transport-ws client with one subscription, recording every text frame after the ack. */
async function subscribe(url: string, id: string, query: string) {
  const socket = new WebSocket(url, 'graphql-transport-ws');
  cleanups.push(() => socket.close());
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const acknowledged = new Promise((resolve) => socket.once('message', resolve));
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: 'Bearer t' } }));
  await acknowledged;
  const frames: string[] = [];
  socket.on('message', (data) => frames.push(String(data)));
  socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query } }));
  return { socket, frames };
}

describe('WebSocket delivery', () => {
  it("writes each payload as graphql-ws's own next message, the same text to every member of a group", async () => {
    const gateway = await startGateway();
    const query = 'subscription { items { id cursor } }';
    const first = await subscribe(gateway.url, 'a', query);
    const second = await subscribe(gateway.url, 'b"2', query);
    await waitFor(() => gateway.engine.stats().subscribers === 2);
    const ok = gateway.append('e1');
    gateway.append('broken');
    await waitFor(() => first.frames.length === 2 && second.frames.length === 2);

    // What graphql-ws itself would have sent for these results.
    const expected = (id: string) => [
      stringifyMessage({ id, type: MessageType.Next, payload: { data: { items: { id: 'e1', cursor: ok } } } }),
      stringifyMessage({
        id,
        type: MessageType.Next,
        payload: { data: { items: null }, errors: [new GraphQLError('the things service is unavailable', { path: ['items'], extensions: { code: 'UNAVAILABLE', service: 'things' } }).toJSON()] },
      }),
    ];
    expect(first.frames).toEqual(expected('a'));
    expect(second.frames).toEqual(expected('b"2'));
    expect(gateway.engine.stats()).toMatchObject({ groups: 1, payloadExecutions: 2, deliveries: 4 });
  });

  it("stops writing to a subscription the client completed; the socket's other subscriptions go on", async () => {
    const gateway = await startGateway();
    const client = await subscribe(gateway.url, '1', 'subscription { items { id } }');
    await waitFor(() => gateway.engine.stats().subscribers === 1);
    gateway.append('e1');
    await waitFor(() => client.frames.length === 1);
    client.socket.send(JSON.stringify({ id: '1', type: 'complete' }));
    await waitFor(() => gateway.engine.stats().subscribers === 0);
    gateway.append('e2');
    // Nothing is written for a completed subscription; a second subscription on the socket still works.
    client.socket.send(JSON.stringify({ id: '2', type: 'subscribe', payload: { query: 'subscription { items { id } }' } }));
    await waitFor(() => gateway.engine.stats().subscribers === 1);
    gateway.append('e3');
    await waitFor(() => client.frames.length === 2);
    expect(client.frames.map((frame) => JSON.parse(frame) as { id: string; payload: unknown })).toMatchObject([
      { id: '1', type: 'next', payload: { data: { items: { id: 'e1' } } } },
      { id: '2', type: 'next', payload: { data: { items: { id: 'e3' } } } },
    ]);
  });
});
