import { parse, type ExecutionResult, type FieldNode, type OperationDefinitionNode } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createNovaCronSubscriptions } from '@novacron/sdk';
import { waitFor } from '@novacron/testing';
import { createSubscriptionEngine, type SubscriptionEngine } from '../src/subscriptions/createSubscriptionEngine.ts';
import { slowConsumerCloseCode } from '../src/subscriptions/createWebSocketServer.ts';
import { cursorVariable } from '../src/subscriptions/rewriteToPayloadQuery.ts';
import { createFeedFixture, fixtureEngineParts, itemsDeclarations, itemsSchema, viewerScope } from './support/feedFixture.ts';
import { listenFixtureTransport } from './support/fixtureTransport.ts';

const [schema, declarations, scope] = [itemsSchema, itemsDeclarations, viewerScope];
const itemsDocument = parse('subscription Items($after: String) { items(after: $after) { id cursor } }') as never;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * The real WebSocket transport and subscription engine over an in-memory feed; `congestOnce` makes
 * the next delivery find the socket congested, as a page that reads too slowly would.
 */
async function startGateway(replayLimit?: number) {
  const feed = createFeedFixture('things.item');
  const entityByCursor = new Map<string, string>();
  const { tail, ...parts } = fixtureEngineParts(feed);
  const engine = createSubscriptionEngine({
    schema,
    declarations,
    ...parts,
    replayLimit,
    executePayload: async (document, variables): Promise<ExecutionResult> => {
      const cursor = String(variables[cursorVariable]);
      if (cursor === '') return { data: { probe: null } };
      const root = (document.definitions[0] as OperationDefinitionNode).selectionSet.selections[0] as FieldNode;
      return { data: { [root.alias?.value ?? root.name.value]: { id: entityByCursor.get(cursor), cursor } } };
    },
  });
  let congest = false;
  const congestible: SubscriptionEngine = {
    ...engine,
    prepare: async (request) => {
      const prepared = await engine.prepare(request);
      if (!('start' in prepared)) return prepared;
      return {
        ...prepared,
        field: prepared.field,
        start: (onSlowConsumer, isCongested, deliver) =>
          prepared.start(
            onSlowConsumer,
            () => {
              if (congest) {
                congest = false;
                return true;
              }
              return isCongested?.() ?? false;
            },
            deliver,
          ),
      };
    },
  };
  const transport = await listenFixtureTransport(congestible, tail, { schema, authenticate: async () => scope });
  cleanups.push(transport.close);
  const append = (entityId: string) => {
    const appended = feed.append({ tenantId: 'alpha', entityId });
    entityByCursor.set(appended.cursor, entityId);
    tail.wake();
  };
  return { url: transport.url, engine, append, congestOnce: () => (congest = true) };
}

describe('a subscriber dropped as a slow consumer', () => {
  it('is closed with Try Again Later, reconnects, and resumes after its last cursor with no gap and no repeat', async () => {
    const gateway = await startGateway();
    const subscriptions = createNovaCronSubscriptions({ url: gateway.url, webSocketImpl: WebSocket, retryAttempts: 5 });
    cleanups.push(() => subscriptions.dispose());
    const closes: number[] = [];
    subscriptions.client.on('closed', (event) => closes.push((event as { code: number }).code));
    const ids: string[] = [];
    const errors: unknown[] = [];
    const unsubscribe = subscriptions.subscribeResumable<{ items: { id: string; cursor: string } }, { after?: string | null }>(itemsDocument, {}, (data) => data.items.cursor, {
      next: (result) => ids.push(result.data!.items.id),
      error: (error) => errors.push(error),
    });
    cleanups.push(unsubscribe);
    await waitFor(() => gateway.engine.stats().subscribers === 1);
    gateway.append('e0');
    gateway.append('e1');
    await waitFor(() => ids.length === 2);

    gateway.congestOnce();
    gateway.append('e2'); // finds the socket congested: the subscriber is dropped
    await waitFor(() => gateway.engine.stats().slowConsumersDropped === 1);
    gateway.append('e3'); // committed while the client is away
    await waitFor(() => ids.length === 4, { timeoutMs: 30_000 });

    expect(closes[0]).toBe(slowConsumerCloseCode);
    expect(errors).toEqual([]);
    expect(ids).toEqual(['e0', 'e1', 'e2', 'e3']);
    gateway.append('e4');
    await waitFor(() => ids.length === 5);
    expect(ids.at(-1)).toBe('e4');
  });

  it('that missed more than the replay limit is answered RESYNC_REQUIRED: the SDK asks for a reload and follows the head again', async () => {
    const gateway = await startGateway(2);
    const subscriptions = createNovaCronSubscriptions({ url: gateway.url, webSocketImpl: WebSocket, retryAttempts: 5 });
    cleanups.push(() => subscriptions.dispose());
    const ids: string[] = [];
    const errors: unknown[] = [];
    let resyncs = 0;
    const unsubscribe = subscriptions.subscribeResumable<{ items: { id: string; cursor: string } }, { after?: string | null }>(itemsDocument, {}, (data) => data.items.cursor, {
      next: (result) => ids.push(result.data!.items.id),
      error: (error) => errors.push(error),
      resync: () => {
        resyncs += 1;
      },
    });
    cleanups.push(unsubscribe);
    await waitFor(() => gateway.engine.stats().subscribers === 1);
    gateway.append('e0');
    await waitFor(() => ids.length === 1);

    gateway.congestOnce();
    gateway.append('e1'); // dropped here; then five more while the client is away, over the limit of 2
    await waitFor(() => gateway.engine.stats().slowConsumersDropped === 1);
    for (const id of ['e2', 'e3', 'e4', 'e5', 'e6']) gateway.append(id);
    await waitFor(() => resyncs === 1, { timeoutMs: 30_000 });
    await waitFor(() => gateway.engine.stats().subscribers === 1);
    gateway.append('e7');
    await waitFor(() => ids.at(-1) === 'e7');

    expect(errors).toEqual([]);
    expect(resyncs).toBe(1);
    // The missed events are not replayed: the caller reloads the state instead.
    expect(ids).toEqual(['e0', 'e7']);
  });
});
