import { parse, type ExecutionResult, type FieldNode, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { FeedFetcher } from '@novacron/events';
import { waitFor } from '@novacron/testing';
import { createSubscriptionEngine } from '../src/subscriptions/createSubscriptionEngine.ts';
import type { SubscriberScope } from '../src/subscriptions/readStreamDeclarations.ts';
import { cursorVariable } from '../src/subscriptions/rewriteToPayloadQuery.ts';
import { createFeedFixture, fixtureEngineParts, itemsDeclarations, itemsSchema } from './support/feedFixture.ts';

// What a member leaving, an expiring token and an old cursor may cost the others: nothing.

const [schema, declarations] = [itemsSchema, itemsDeclarations];
const member = (subject: string, expiresInMs: number): SubscriberScope => ({
  tenantId: 'alpha',
  scopeKey: 'alpha|viewer',
  identity: { subject, tenantId: 'alpha', roles: ['viewer'], expiresAt: new Date(Date.now() + expiresInMs) },
});

/** An engine over a real tail; `replayFeed` may differ from the tail's feed (to hold a replay back). */
function setUp(options: { replayLimit?: number; queueLimit?: number; replayFeed?: (feed: FeedFetcher) => FeedFetcher } = {}) {
  const feed = createFeedFixture('things.item');
  const executedAs: string[] = [];
  const entityByCursor = new Map<string, string>();
  const { tail, ...parts } = fixtureEngineParts(feed, options.replayFeed ? options.replayFeed(feed.fetch) : feed.fetch);
  const engine = createSubscriptionEngine({
    schema,
    declarations,
    ...parts,
    replayLimit: options.replayLimit,
    queueLimit: options.queueLimit,
    executePayload: async (document, variables, scope): Promise<ExecutionResult> => {
      const cursor = String(variables[cursorVariable]);
      if (cursor === '') return { data: { probe: null } };
      // The owning subgraph refuses an expired identity, as the internal-token check does.
      if (scope.identity.expiresAt.getTime() <= Date.now()) return { errors: [{ message: 'invalid internal token', extensions: { code: 'UNAUTHENTICATED' } }] as never };
      executedAs.push(scope.identity.subject);
      const root = (document.definitions[0] as OperationDefinitionNode).selectionSet.selections[0] as FieldNode;
      return { data: { [root.alias?.value ?? root.name.value]: { id: entityByCursor.get(cursor) } } };
    },
  });
  const append = (entityId: string) => {
    const appended = feed.append({ tenantId: 'alpha', entityId });
    entityByCursor.set(appended.cursor, appended.entityId);
    tail.wake();
    return appended;
  };
  return { engine, feed, append, executedAs, tail };
}

async function subscribe(engine: ReturnType<typeof setUp>['engine'], scope: SubscriberScope, variables: Record<string, unknown> = {}) {
  const prepared = await engine.prepare({ document: parse('subscription ($after: String) { items(after: $after) { id } }'), variables, scope });
  if (!('start' in prepared)) throw new Error(`refused: ${prepared.map((error) => error.message).join(', ')}`);
  const iterator = prepared.start(() => {});
  const results: ExecutionResult[] = [];
  void (async () => {
    for await (const result of iterator) results.push(result);
  })();
  return { results, iterator };
}

describe('shared payload execution', () => {
  it("runs under a live member's identity, so the first member's expiring token does not break the group", async () => {
    const { engine, append, executedAs } = setUp();
    const first = await subscribe(engine, member('short-lived', 300));
    const second = await subscribe(engine, member('long-lived', 3_600_000));
    append('e1');
    await waitFor(() => second.results.length === 1 && first.results.length === 1);
    // The token of the group's first member expires (its socket is about to close): the others still get events.
    await new Promise((resolve) => setTimeout(resolve, 350));
    append('e2');
    await waitFor(() => second.results.length === 2);
    expect(second.results.map((result) => result.errors)).toEqual([undefined, undefined]);
    expect(executedAs).toEqual(['long-lived', 'long-lived']);
    // And once it leaves, the group carries on under the remaining member.
    await first.iterator.return?.();
    append('e3');
    await waitFor(() => second.results.length === 3);
    expect(second.results[2]?.errors).toBeUndefined();
    expect(engine.stats()).toMatchObject({ subscribers: 1, groups: 1 });
    engine.close();
  });
});

describe('replay bounds', () => {
  it('answers RESYNC_REQUIRED to a cursor more events behind than the replay limit, without reading them all', async () => {
    const { engine, append, feed } = setUp({ replayLimit: 10 });
    const from = append('e0');
    for (let index = 1; index <= 40; index += 1) append(`e${index}`);
    const reads = feed.reads.length;
    const refused = await engine.prepare({ document: parse('subscription ($after: String) { items(after: $after) { id } }'), variables: { after: from.cursor }, scope: member('reader', 3_600_000) });
    expect(Array.isArray(refused) && refused[0]?.extensions).toMatchObject({ code: 'RESYNC_REQUIRED', field: 'after' });
    // One page of at most limit + 1 entries was read, not the 40 missed events.
    expect(feed.reads.slice(reads).filter((read) => read.after === from.cursor).map((read) => read.first)).toEqual([11]);
    engine.close();
  });

  it('replays within the limit', async () => {
    const { engine, append } = setUp({ replayLimit: 10 });
    const from = append('e0');
    for (let index = 1; index <= 10; index += 1) append(`e${index}`);
    const resumed = await subscribe(engine, member('reader', 3_600_000), { after: from.cursor });
    await waitFor(() => resumed.results.length === 10);
    engine.close();
  });

  it('replays a resumed cursor far beyond the slow-consumer queue without dropping it, then continues live', async () => {
    // A dashboard dropped as a slow consumer reconnects behind by more than its queue holds: the replay
    // (bounded by the replay limit) must not count as falling behind, or it is dropped again at once.
    const { engine, append } = setUp({ replayLimit: 1_000, queueLimit: 4 });
    const from = append('e0');
    for (let index = 1; index <= 200; index += 1) append(`e${index}`);
    const resumed = await subscribe(engine, member('reader', 3_600_000), { after: from.cursor });
    await waitFor(() => resumed.results.length === 200);
    append('e201');
    await waitFor(() => resumed.results.length === 201);
    const ids = resumed.results.map((result) => (result.data?.items as { id: string }).id);
    expect(ids).toEqual(Array.from({ length: 201 }, (_, index) => `e${index + 1}`));
    expect(engine.stats().slowConsumersDropped).toBe(0);
    engine.close();
  });

  it('answers RESYNC_REQUIRED when more live events arrive during the replay than the limit holds', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const { engine, append } = setUp({
      replayLimit: 5,
      replayFeed: (fetch) => async (read) => {
        await held;
        return fetch(read);
      },
    });
    const from = append('e0');
    // A first subscriber makes the tail follow the stream.
    await subscribe(engine, member('live', 3_600_000));
    const preparing = engine.prepare({ document: parse('subscription ($after: String) { items(after: $after) { id } }'), variables: { after: from.cursor }, scope: member('reader', 3_600_000) });
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (let index = 1; index <= 8; index += 1) append(`e${index}`);
    await waitFor(() => engine.stats().deliveries >= 8);
    release();
    const refused = await preparing;
    expect(Array.isArray(refused) && refused[0]?.extensions.code).toBe('RESYNC_REQUIRED');
    engine.close();
  });
});
