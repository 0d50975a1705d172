/**
 * The subscription engine: turns a GraphQL subscription into a stream of events and resolves each
 * event's payload as a query through the gateway's own planner, so payloads may select fields of any
 * subgraph. One cohesive piece: preparation (arguments, cursor checks, replay), live routing from the
 * shared stream tails, shared execution for identical subscriptions, and slow-consumer detection.
 */
import {
  GraphQLError,
  Kind,
  getArgumentValues,
  getVariableValues,
  print,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { AppError, appError } from '@novacron/errors';
import { compareEventPositions, type EventPosition } from '@novacron/events';
import type { Logger } from '@novacron/server-kit';
import { createEventChannel, type EventChannel } from './createEventChannel.ts';
import type { StreamTail } from './createStreamTail.ts';
import { FeedError, type FeedEntry, type FeedFetcher } from './fetchEventFeed.ts';
import { cursorVariable, rewriteToPayloadQuery } from './rewriteToPayloadQuery.ts';
import { subscriptionSources, type SubscriberScope, type SubscriptionSource } from './subscriptionSources.ts';

/** Runs a payload query through the gateway under the subscriber's identity. */
export type PayloadExecutor = (document: DocumentNode, variables: Record<string, unknown>, scope: SubscriberScope) => Promise<ExecutionResult>;

/** Options for {@link createSubscriptionEngine}. */
export interface SubscriptionEngineOptions {
  /** The client-facing schema, for argument coercion. */
  schema: GraphQLSchema;
  executePayload: PayloadExecutor;
  /** The live tail of each stream, by signal name (`vms.vm`). */
  tails: ReadonlyMap<string, StreamTail>;
  /** Each subgraph's feed reader, for replay. */
  feeds: ReadonlyMap<string, FeedFetcher>;
  logger: Logger;
  /** Results a subscriber may have waiting before it is dropped as a slow consumer. */
  queueLimit?: number;
}

/** What a subscription request carries. */
export interface SubscribeRequest {
  document: DocumentNode;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
  scope: SubscriberScope;
}

/** A validated subscription, ready to start. */
export interface PreparedSubscription {
  readonly field: string;
  /**
   * Starts delivering. The subscriber is dropped as a slow consumer when its queue is full or when
   * `isCongested` says its connection has too much unsent data; `onSlowConsumer` is then called once.
   */
  start(onSlowConsumer: () => void, isCongested?: () => boolean): AsyncIterableIterator<ExecutionResult>;
  /** Gives up a subscription that will not be started. */
  discard(): void;
}

/** Counters for tests, benchmarks and the /metrics endpoint. */
export interface SubscriptionEngineStats {
  subscribers: number;
  groups: number;
  payloadExecutions: number;
  deliveries: number;
  slowConsumersDropped: number;
}

/** The engine's interface. */
export interface SubscriptionEngine {
  /** Validates a subscription; answers errors (`BAD_USER_INPUT`, `NOT_FOUND`, `RESYNC_REQUIRED`) or a prepared subscription. */
  prepare(request: SubscribeRequest): Promise<PreparedSubscription | readonly GraphQLError[]>;
  stats(): SubscriptionEngineStats;
  close(): void;
}

interface Group {
  key: string;
  document: DocumentNode;
  variables: Record<string, unknown>;
  scope: SubscriberScope;
  members: number;
  results: Map<string, Promise<ExecutionResult | null>>;
}

interface Subscriber {
  source: SubscriptionSource;
  args: Record<string, unknown>;
  scope: SubscriberScope;
  group: Group | null;
  channel: EventChannel<ExecutionResult> | null;
  /** While preparing and replaying, live entries wait here. */
  buffer: FeedEntry[] | null;
  pending: FeedEntry[];
  last: EventPosition | null;
  pumping: boolean;
  closed: boolean;
  onSlowConsumer: () => void;
  isCongested: () => boolean;
}

/** A stream's subscribers: those interested in any entity, and the rest by the entity ids they name. */
interface StreamFollowers {
  unkeyed: Set<Subscriber>;
  byKey: Map<string, Set<Subscriber>>;
}

const groupCacheSize = 256;
const replayPageSize = 1_000;

/** Creates the engine. */
export function createSubscriptionEngine(options: SubscriptionEngineOptions): SubscriptionEngine {
  const queueLimit = options.queueLimit ?? 256;
  const groups = new Map<string, Group>();
  const followersByStream = new Map<string, StreamFollowers>();
  const liveStops = new Map<string, Promise<() => void>>();
  const counters = { payloadExecutions: 0, deliveries: 0, slowConsumersDropped: 0, subscribers: 0 };

  const concerns = (subscriber: Subscriber, entry: FeedEntry) =>
    entry.tenantId === subscriber.scope.tenantId && subscriber.source.matches(entry, subscriber.args);

  // Entries are taken in stream order and each goes to the candidates for its entities only, so a
  // subscriber still sees its events in order, and routing costs the few subscribers an event
  // concerns rather than every subscriber of the stream.
  const routeLive = (stream: string) => (entries: FeedEntry[]) => {
    const followers = followersByStream.get(stream);
    if (!followers) return;
    for (const entry of entries) {
      const candidates = [followers.unkeyed, followers.byKey.get(entry.vmId), entry.entityId === entry.vmId ? undefined : followers.byKey.get(entry.entityId)];
      for (const group of candidates) {
        for (const subscriber of group ?? []) {
          if (!concerns(subscriber, entry)) continue;
          if (subscriber.buffer) subscriber.buffer.push(entry);
          else enqueue(subscriber, entry);
        }
      }
    }
  };

  const follow = (stream: string, subscriber: Subscriber) => {
    let followers = followersByStream.get(stream);
    if (!followers) {
      followers = { unkeyed: new Set(), byKey: new Map() };
      followersByStream.set(stream, followers);
    }
    const keys = subscriber.source.routingKeys(subscriber.args);
    if (!keys) followers.unkeyed.add(subscriber);
    for (const key of keys ?? []) {
      const keyed = followers.byKey.get(key) ?? new Set<Subscriber>();
      keyed.add(subscriber);
      followers.byKey.set(key, keyed);
    }
  };

  /** Follows a stream's tail, once per engine. */
  const followStream = async (stream: string): Promise<void> => {
    if (!liveStops.has(stream)) {
      const tail = options.tails.get(stream);
      if (!tail) throw new Error(`no tail for stream ${stream}`);
      const following = tail.follow(routeLive(stream)).then((follow) => follow.stop);
      following.catch(() => liveStops.delete(stream));
      liveStops.set(stream, following);
    }
    await liveStops.get(stream);
  };

  const resolvePayload = (group: Group, cursor: string): Promise<ExecutionResult | null> => {
    let result = group.results.get(cursor);
    if (!result) {
      counters.payloadExecutions += 1;
      result = options.executePayload(group.document, { ...group.variables, [cursorVariable]: cursor }, group.scope).then((executed) => {
        const data = executed.data as Record<string, unknown> | null | undefined;
        // An event the subscriber may not see resolves to null: deliver nothing.
        if (!executed.errors?.length && data && Object.values(data).every((value) => value === null)) return null;
        return executed;
      });
      group.results.set(cursor, result);
      if (group.results.size > groupCacheSize) group.results.delete(group.results.keys().next().value as string);
    }
    return result;
  };

  const drop = (subscriber: Subscriber) => {
    if (subscriber.closed) return;
    counters.slowConsumersDropped += 1;
    options.logger.warn({ field: subscriber.source.field, tenantId: subscriber.scope.tenantId }, 'dropping a slow subscriber');
    subscriber.onSlowConsumer();
    void subscriber.channel?.return();
  };

  const enqueue = (subscriber: Subscriber, entry: FeedEntry) => {
    if (subscriber.closed) return;
    // Replay and live reading overlap at the hand-over: skip what this subscriber already has.
    if (subscriber.last && compareEventPositions(entry.position, subscriber.last) <= 0) return;
    subscriber.last = entry.position;
    subscriber.pending.push(entry);
    if (subscriber.pending.length > queueLimit * 4) return drop(subscriber);
    void pump(subscriber);
  };

  const pump = async (subscriber: Subscriber) => {
    if (subscriber.pumping || !subscriber.group || !subscriber.channel) return;
    subscriber.pumping = true;
    try {
      while (subscriber.pending.length > 0 && !subscriber.closed) {
        const entry = subscriber.pending.shift() as FeedEntry;
        const result = await resolvePayload(subscriber.group, entry.cursor);
        if (subscriber.closed) break;
        if (result) {
          if (subscriber.isCongested() || !subscriber.channel.push(result)) return drop(subscriber);
          counters.deliveries += 1;
        }
        if (subscriber.source.completesAfter(entry)) {
          subscriber.channel.end();
          break;
        }
      }
    } catch (error) {
      options.logger.error({ err: error }, 'resolving a subscription payload failed');
      subscriber.channel.push({ errors: [appError('INTERNAL_SERVER_ERROR', 'Internal server error')] });
      subscriber.channel.end();
    } finally {
      subscriber.pumping = false;
    }
  };

  const joinGroup = (document: DocumentNode, variables: Record<string, unknown>, scope: SubscriberScope): Group => {
    const key = `${scope.scopeKey}\n${JSON.stringify(sortKeys(variables))}\n${print(document)}`;
    let group = groups.get(key);
    if (!group) {
      group = { key, document, variables, scope, members: 0, results: new Map() };
      groups.set(key, group);
    }
    group.members += 1;
    return group;
  };

  const release = (subscriber: Subscriber, stream: string) => {
    const followers = followersByStream.get(stream);
    followers?.unkeyed.delete(subscriber);
    for (const key of subscriber.source.routingKeys(subscriber.args) ?? []) {
      const keyed = followers?.byKey.get(key);
      keyed?.delete(subscriber);
      if (keyed?.size === 0) followers?.byKey.delete(key);
    }
    if (subscriber.group) {
      subscriber.group.members -= 1;
      if (subscriber.group.members === 0) groups.delete(subscriber.group.key);
    }
  };

  return {
    async prepare(request) {
      let parsed: ParsedSubscription;
      try {
        parsed = parseSubscription(options.schema, request);
      } catch (error) {
        return [toGraphQLError(error)];
      }
      const { source, args } = parsed;
      const stream = `${source.subgraph}.${source.stream}`;
      const feed = options.feeds.get(source.subgraph);
      if (!feed) return [appError('INTERNAL_SERVER_ERROR', `no event feed for ${source.subgraph}`)];

      // Follow the live tail before replaying, so no event falls between the two.
      const subscriber: Subscriber = {
        source,
        args,
        scope: request.scope,
        group: null,
        channel: null,
        buffer: [],
        pending: [],
        last: null,
        pumping: false,
        closed: false,
        onSlowConsumer: () => {},
        isCongested: () => false,
      };
      let replayed: FeedEntry[];
      try {
        await followStream(stream);
        follow(stream, subscriber);
        replayed = await replay(feed, source, args, request.scope);
      } catch (error) {
        release(subscriber, stream);
        return [toGraphQLError(error)];
      }
      return {
        field: source.field,
        discard: () => release(subscriber, stream),
        start(onSlowConsumer, isCongested) {
          subscriber.onSlowConsumer = onSlowConsumer;
          if (isCongested) subscriber.isCongested = isCongested;
          subscriber.group = joinGroup(parsed.payloadDocument, parsed.payloadVariables, request.scope);
          counters.subscribers += 1;
          const channel = createEventChannel<ExecutionResult>(queueLimit, () => {
            subscriber.closed = true;
            counters.subscribers -= 1;
            release(subscriber, stream);
          });
          subscriber.channel = channel;
          const live = subscriber.buffer ?? [];
          subscriber.buffer = null;
          for (const entry of [...replayed, ...live]) enqueue(subscriber, entry);
          return channel;
        },
      };
    },
    stats: () => ({ ...counters, groups: groups.size }),
    close() {
      for (const stop of liveStops.values()) void stop.then((run) => run(), () => {});
      liveStops.clear();
      for (const followers of followersByStream.values()) {
        for (const subscriber of [...followers.unkeyed, ...[...followers.byKey.values()].flatMap((keyed) => [...keyed])]) void subscriber.channel?.return();
      }
      followersByStream.clear();
    },
  };
}

/** Reads what a subscriber must see before live events: missed events after its cursor, or an entity's latest state. */
async function replay(feed: FeedFetcher, source: SubscriptionSource, args: Record<string, unknown>, scope: SubscriberScope): Promise<FeedEntry[]> {
  const plan = source.replay(args);
  if (!plan) return [];
  const visible = (entry: FeedEntry) => entry.tenantId === scope.tenantId && source.matches(entry, args);
  const entityId = 'entityId' in plan ? plan.entityId : undefined;
  let after: string | null = 'after' in plan ? plan.after : null;
  const entries: FeedEntry[] = [];
  for (;;) {
    const page = await feed(source.stream, after, replayPageSize, entityId);
    entries.push(...page.entries.filter(visible));
    after = page.endCursor;
    if (page.entries.length < replayPageSize) break;
  }
  if (!('entityId' in plan)) return entries;
  const latest = entries.at(-1);
  // A foreign or unknown entity is NOT_FOUND alike: a tenant cannot learn that another's id exists.
  if (!latest) throw appError('NOT_FOUND', `${source.field}: ${plan.entityId} was not found`, { id: plan.entityId });
  return plan.onlyLatest ? [latest] : entries;
}

interface ParsedSubscription {
  source: SubscriptionSource;
  args: Record<string, unknown>;
  payloadDocument: DocumentNode;
  payloadVariables: Record<string, unknown>;
}

function parseSubscription(schema: GraphQLSchema, request: SubscribeRequest): ParsedSubscription {
  const operations = request.document.definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
  const operation = request.operationName ? operations.find((candidate) => candidate.name?.value === request.operationName) : operations[0];
  if (!operation || operation.operation !== 'subscription') throw appError('BAD_USER_INPUT', 'expected a subscription operation');
  const [rootField, ...others] = operation.selectionSet.selections;
  if (!rootField || others.length > 0 || rootField.kind !== Kind.FIELD) throw appError('BAD_USER_INPUT', 'a subscription selects exactly one root field');
  const source = subscriptionSources.get(rootField.name.value);
  const fieldDefinition = schema.getSubscriptionType()?.getFields()[rootField.name.value];
  if (!source || !fieldDefinition) throw appError('BAD_USER_INPUT', `unknown subscription field ${rootField.name.value}`);
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {});
  if (coerced.errors) throw new AppError('BAD_USER_INPUT', coerced.errors[0]?.message ?? 'invalid variables');
  const args = source.parseArgs(getArgumentValues(fieldDefinition, rootField, coerced.coerced));
  const payloadDocument = rewriteToPayloadQuery(request.document, operation, rootField, source.payloadField);
  const payloadOperation = payloadDocument.definitions[0] as OperationDefinitionNode;
  const kept = new Set((payloadOperation.variableDefinitions ?? []).map((definition) => definition.variable.name.value));
  const payloadVariables = Object.fromEntries(Object.entries(request.variables ?? {}).filter(([name]) => kept.has(name)));
  return { source, args, payloadDocument, payloadVariables };
}

function toGraphQLError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  if (error instanceof FeedError) {
    if (error.code === 'RESYNC_REQUIRED' || error.code === 'BAD_USER_INPUT') return new AppError(error.code, error.message, { field: 'after' });
    if (error.code === 'NOT_FOUND') return new AppError('NOT_FOUND', error.message);
  }
  return appError('INTERNAL_SERVER_ERROR', 'Internal server error', {}, error);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([key, entry]) => [key, sortKeys(entry)]),
    );
  }
  return value;
}
