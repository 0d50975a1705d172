import { buildSchema, GraphQLError, parse, type ExecutionResult, type OperationDefinitionNode, type FieldNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { FeedEntry } from '@novacron/events';
import { waitFor } from '@novacron/testing';
import { createSubscriptionEngine, type PreparedSubscription } from '../src/subscriptions/createSubscriptionEngine.ts';
import type { StreamDeclaration, SubscriberScope } from '../src/subscriptions/readStreamDeclarations.ts';
import { cursorVariable } from '../src/subscriptions/rewriteToPayloadQuery.ts';
import { createFeedFixture, fixtureEngineParts } from './support/feedFixture.ts';

const schema = buildSchema(`
  type Item { id: ID! }
  type Query { itemAt(cursor: String!, after: String, id: ID): Item }
  type Subscription { items(after: String): Item!  item(id: ID!): Item! }
`);
const declarations = new Map<string, StreamDeclaration>([
  ['items', { field: 'items', subgraph: 'things', stream: 'item', payloadField: 'itemAt', cursorArg: 'after', entityArg: null, routeBy: null, completeOnTerminal: false }],
  ['item', { field: 'item', subgraph: 'things', stream: 'item', payloadField: 'itemAt', cursorArg: null, entityArg: 'id', routeBy: null, completeOnTerminal: true }],
]);
const scope = (tenantId: string, roles = 'viewer'): SubscriberScope => ({
  tenantId,
  scopeKey: `${tenantId}|${roles}`,
  identity: { subject: `${roles}@${tenantId}`, tenantId, roles: [roles as 'viewer'], expiresAt: new Date(Date.now() + 3_600_000) },
});

/**
 * The engine over a real stream tail and an in-memory feed; the payload executor stands in for the
 * gateway's planner and the owning subgraph (whose payload field answers null for a refused filter).
 */
function setUp(
  options: {
    queueLimit?: number;
    refuse?: (variables: Record<string, unknown>) => GraphQLError | null;
    hold?: (cursor: string) => Promise<void>;
    onPayloadResolved?: (entry: FeedEntry) => void;
    onDelivered?: (entry: FeedEntry) => void;
  } = {},
) {
  const feed = createFeedFixture('things.item');
  const entityByCursor = new Map<string, string>();
  const executions: { cursor: string; tenantId: string }[] = [];
  const { tail, ...parts } = fixtureEngineParts(feed);
  const engine = createSubscriptionEngine({
    schema,
    declarations,
    ...parts,
    queueLimit: options.queueLimit ?? 16,
    onPayloadResolved: options.onPayloadResolved,
    onDelivered: options.onDelivered,
    executePayload: async (document, variables, subscriber): Promise<ExecutionResult> => {
      const refused = options.refuse?.(variables);
      if (refused) return { errors: [refused] };
      const cursor = String(variables[cursorVariable]);
      if (cursor === '') return { data: { probe: null } };
      executions.push({ cursor, tenantId: subscriber.tenantId });
      await options.hold?.(cursor);
      const root = (document.definitions[0] as OperationDefinitionNode).selectionSet.selections[0] as FieldNode;
      return { data: { [root.alias?.value ?? root.name.value]: { id: entityByCursor.get(cursor) } } };
    },
  });
  const append = (entry: Parameters<typeof feed.append>[0]) => {
    const appended = feed.append(entry);
    entityByCursor.set(appended.cursor, appended.entityId);
    tail.wake();
    return appended;
  };
  return { engine, feed, append, executions, tail };
}

async function subscribe(engine: ReturnType<typeof setUp>['engine'], query: string, subscriber: SubscriberScope, variables: Record<string, unknown> = {}) {
  const prepared = await engine.prepare({ document: parse(query), variables, scope: subscriber });
  if (!('start' in prepared)) throw new Error(`refused: ${prepared.map((error) => error.message).join(', ')}`);
  return collect(prepared);
}

function collect(prepared: PreparedSubscription, onSlowConsumer = () => {}) {
  const iterator = prepared.start(onSlowConsumer);
  const ids: string[] = [];
  let done = false;
  void (async () => {
    for await (const result of iterator) ids.push((Object.values(result.data ?? {})[0] as { id: string }).id);
    done = true;
  })();
  return { ids, isDone: () => done, iterator };
}

describe('subscription engine', () => {
  it("routes each event to its tenant's subscribers only, with one payload execution per identical group", async () => {
    const { engine, append, executions } = setUp();
    const [first, second, other] = await Promise.all([
      subscribe(engine, 'subscription { items { id } }', scope('alpha')),
      subscribe(engine, 'subscription { items { id } }', scope('alpha')),
      subscribe(engine, 'subscription { items { id } }', scope('bravo')),
    ]);
    append({ tenantId: 'alpha', entityId: 'a1' });
    append({ tenantId: 'bravo', entityId: 'b1' });
    append({ tenantId: 'alpha', entityId: 'a2' });
    await waitFor(() => first.ids.length === 2 && second.ids.length === 2 && other.ids.length === 1);
    expect(first.ids).toEqual(['a1', 'a2']);
    expect(other.ids).toEqual(['b1']);
    expect(executions.filter((execution) => execution.tenantId === 'alpha')).toHaveLength(2);
    expect(engine.stats()).toMatchObject({ subscribers: 3, groups: 2, payloadExecutions: 3, deliveries: 5 });
    engine.close();
  });

  it('reports each event once per group when its payload resolves, and each delivery (the stage lag metric)', async () => {
    const resolved: string[] = [];
    const delivered: string[] = [];
    const { engine, append } = setUp({ onPayloadResolved: (entry) => resolved.push(entry.entityId), onDelivered: (entry) => delivered.push(entry.entityId) });
    const subscribers = await Promise.all([
      subscribe(engine, 'subscription { items { id } }', scope('alpha')),
      subscribe(engine, 'subscription { items { id } }', scope('alpha')),
      subscribe(engine, 'subscription { items { id } }', scope('alpha', 'operator')),
    ]);
    append({ tenantId: 'alpha', entityId: 'a1' });
    append({ tenantId: 'alpha', entityId: 'a2' });
    await waitFor(() => subscribers.every((subscriber) => subscriber.ids.length === 2));
    // Two groups (viewer, operator) × two events; three subscribers × two events.
    expect(resolved.sort()).toEqual(['a1', 'a1', 'a2', 'a2']);
    expect(delivered.sort()).toEqual(['a1', 'a1', 'a1', 'a2', 'a2', 'a2']);
    engine.close();
  });

  it('replays what came after a cursor, then continues live with no gap and no repeat', async () => {
    const { engine, append } = setUp();
    const watcher = await subscribe(engine, 'subscription { items { id } }', scope('alpha'));
    const seen = append({ tenantId: 'alpha', entityId: 'e1' });
    append({ tenantId: 'alpha', entityId: 'e2' });
    append({ tenantId: 'bravo', entityId: 'foreign' });
    append({ tenantId: 'alpha', entityId: 'e3' });
    await waitFor(() => watcher.ids.length === 3);
    const resumed = await subscribe(engine, 'subscription ($after: String) { items(after: $after) { id } }', scope('alpha'), { after: seen.cursor });
    append({ tenantId: 'alpha', entityId: 'e4' });
    await waitFor(() => resumed.ids.length === 3);
    expect(resumed.ids).toEqual(['e2', 'e3', 'e4']);
    engine.close();
  });

  it("replays one entity's latest event and completes after its terminal event", async () => {
    const { engine, append } = setUp();
    append({ tenantId: 'alpha', entityId: 'op-1' });
    append({ tenantId: 'alpha', entityId: 'op-1' });
    const follower = await subscribe(engine, 'subscription { item(id: "op-1") { id } }', scope('alpha'));
    await waitFor(() => follower.ids.length === 1);
    append({ tenantId: 'alpha', entityId: 'op-2' });
    append({ tenantId: 'alpha', entityId: 'op-1', terminal: true });
    await waitFor(() => follower.isDone());
    expect(follower.ids).toEqual(['op-1', 'op-1']);
    engine.close();
  });

  it("answers NOT_FOUND for an entity with no events of the caller's tenant", async () => {
    const { engine, append } = setUp();
    append({ tenantId: 'bravo', entityId: 'op-9' });
    const refused = await engine.prepare({ document: parse('subscription { item(id: "op-9") { id } }'), scope: scope('alpha') });
    expect(Array.isArray(refused) && refused[0]?.extensions.code).toBe('NOT_FOUND');
    engine.close();
  });

  it('still answers NOT_FOUND for a missing entity when the check of an identical subscription is remembered', async () => {
    const { engine, append } = setUp();
    append({ tenantId: 'alpha', entityId: 'op-1' });
    const document = parse('subscription ($id: ID!) { item(id: $id) { id } }');
    const followed = await engine.prepare({ document, variables: { id: 'op-1' }, scope: scope('alpha') });
    expect('start' in followed).toBe(true);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const refused = await engine.prepare({ document, variables: { id: 'op-9' }, scope: scope('alpha') });
      expect(Array.isArray(refused) && refused[0]?.extensions.code).toBe('NOT_FOUND');
    }
    // op-9's second check came from memory; the entity is looked up in the feed every time.
    expect(engine.stats()).toMatchObject({ probes: 2, probesRemembered: 1 });
    if ('start' in followed) followed.discard();
    engine.close();
  });

  it("returns the owning subgraph's error for bad arguments at subscribe time, and follows nothing", async () => {
    const { engine } = setUp({ refuse: () => new GraphQLError('after is not a cursor of this stream', { extensions: { code: 'BAD_USER_INPUT', field: 'after' } }) });
    const refused = await engine.prepare({ document: parse('subscription { items(after: "nonsense") { id } }'), scope: scope('alpha') });
    expect(Array.isArray(refused) && refused.map((error) => error.extensions)).toEqual([{ code: 'BAD_USER_INPUT', field: 'after' }]);
    expect(engine.stats().subscribers).toBe(0);
    engine.close();
  });

  it("shares the owning subgraph's check among identical subscriptions made together, each refused with its error", async () => {
    let checks = 0;
    const { engine } = setUp({
      refuse: () => {
        checks += 1;
        return new GraphQLError('no such VM', { extensions: { code: 'NOT_FOUND' } });
      },
    });
    const document = parse('subscription { items(after: "gone") { id } }');
    const refusals = await Promise.all([engine.prepare({ document, scope: scope('alpha') }), engine.prepare({ document, scope: scope('alpha') }), engine.prepare({ document, scope: scope('bravo') })]);
    for (const refused of refusals) expect(Array.isArray(refused) && refused.map((error) => error.extensions.code)).toEqual(['NOT_FOUND']);
    // Alpha's two share one check; bravo, another tenant, is checked apart.
    expect(checks).toBe(2);
    expect(engine.stats()).toMatchObject({ subscribers: 0, probes: 2, probesJoined: 1, probesRemembered: 0 });
    engine.close();
  });

  it('refuses documents it cannot serve with BAD_USER_INPUT', async () => {
    const { engine } = setUp();
    for (const query of ['query { itemAt(cursor: "x") { id } }', 'subscription { items { id } item(id: "1") { id } }']) {
      const refused = await engine.prepare({ document: parse(query), scope: scope('alpha') });
      expect(Array.isArray(refused) && refused[0]?.extensions.code).toBe('BAD_USER_INPUT');
    }
    engine.close();
  });

  it("resolves a subscriber's next payloads concurrently and still delivers them in stream order", async () => {
    // Payload executions complete only when released: one at a time, a subscriber got at most one
    // event per payload round trip, and the fleet page fell behind 100 events/s and was dropped.
    const releases = new Map<string, () => void>();
    const { engine, append, executions } = setUp({ hold: (cursor) => new Promise((resolve) => releases.set(cursor, resolve)) });
    const reader = await subscribe(engine, 'subscription { items { id } }', scope('alpha'));
    const appended = Array.from({ length: 6 }, (_, index) => append({ tenantId: 'alpha', entityId: `e${index}` }));
    await waitFor(() => executions.length === 6, { timeoutMs: 5_000 });
    expect(reader.ids).toEqual([]);
    // Released last to first: nothing may overtake the first event.
    for (const entry of [...appended].reverse().slice(0, 5)) releases.get(entry.cursor)?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(reader.ids).toEqual([]);
    releases.get(appended[0]!.cursor)?.();
    await waitFor(() => reader.ids.length === 6);
    expect(reader.ids).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5']);
    engine.close();
  });

  it('drops a subscriber that does not read once its queue is full, and keeps serving the others', async () => {
    const { engine, append } = setUp({ queueLimit: 2 });
    const prepared = await engine.prepare({ document: parse('subscription { items { id } }'), scope: scope('alpha') });
    if (!('start' in prepared)) throw new Error('refused');
    let dropped = 0;
    prepared.start(() => (dropped += 1)); // never read
    const reader = await subscribe(engine, 'subscription { items { id } }', scope('alpha', 'admin'));
    for (let index = 0; index < 6; index += 1) append({ tenantId: 'alpha', entityId: `e${index}` });
    await waitFor(() => reader.ids.length === 6);
    expect(dropped).toBe(1);
    expect(engine.stats()).toMatchObject({ slowConsumersDropped: 1, subscribers: 1 });
    engine.close();
  });
});
