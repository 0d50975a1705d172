/**
 * The subscription engine: turns a GraphQL subscription into a stream of events and resolves each
 * event's payload as a query through the gateway's own planner, so payloads may select fields of any
 * subgraph. It knows streams, not subgraphs: `@eventStream` declarations say which field reads which
 * stream, and the owning subgraph's payload field applies the subscriber's filter. The parts: parsing
 * (`parseSubscription`), routing (`createSubscriberIndex`), shared execution (`createPayloadGroups`),
 * replay (`replayMissedEvents`); here, the per-subscriber queue and slow-consumer policy.
 */
import { GraphQLError, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { AppError, appError } from '@novacron/errors';
import { compareEventPositions, FeedError, type EventPosition, type FeedEntry, type FeedFetcher } from '@novacron/events';
import type { Logger } from '@novacron/server-kit';
import { createEventChannel, type EventChannel } from './createEventChannel.ts';
import { createPayloadGroups, type PayloadExecutor, type PayloadGroup } from './createPayloadGroups.ts';
import { createSubscriberIndex } from './createSubscriberIndex.ts';
import type { StreamTail } from './createStreamTail.ts';
import { parseSubscription, type SubscriptionRequest } from './parseSubscription.ts';
import { routingKeysOf, type StreamDeclaration, type SubscriberScope } from './readStreamDeclarations.ts';
import { replayMissedEvents, tooFarBehind } from './replayMissedEvents.ts';

export type { PayloadExecutor } from './createPayloadGroups.ts';

/** Options for {@link createSubscriptionEngine}. */
export interface SubscriptionEngineOptions {
  /** The client-facing schema, for argument coercion. */
  schema: GraphQLSchema;
  /** Which subscription field reads which stream (from the supergraph). */
  declarations: ReadonlyMap<string, StreamDeclaration>;
  executePayload: PayloadExecutor;
  /** The live tail of each stream, by signal name (`vms.vm`). */
  tails: ReadonlyMap<string, StreamTail>;
  /** Each subgraph's feed reader, for replay. */
  feeds: ReadonlyMap<string, FeedFetcher>;
  logger: Logger;
  /** Results a subscriber may have waiting before it is dropped as a slow consumer. */
  queueLimit?: number;
  /** Payloads of one subscriber resolved concurrently (delivered in order). Default 16. */
  resolveAhead?: number;
  /**
   * Most events a subscription may replay after its `after` cursor, and most live events held for it
   * while it replays; beyond either it is answered RESYNC_REQUIRED. Bounds the memory one old cursor
   * can cost. Default 10,000.
   */
  replayLimit?: number;
  /** Called after each delivery to a subscriber (the event delivery lag metric). */
  onDelivered?: (entry: FeedEntry) => void;
  /** Called once per resolved payload (an event for one group), as its first member takes it (the payload stage's lag metric). */
  onPayloadResolved?: (entry: FeedEntry) => void;
}

/** What a subscription request carries. */
export interface SubscribeRequest extends SubscriptionRequest {
  scope: SubscriberScope;
}

/** A validated subscription, ready to start. */
export interface PreparedSubscription {
  readonly field: string;
  /**
   * Starts delivering. The subscriber is dropped as a slow consumer when its queue is full or when
   * `isCongested` says its connection has too much unsent data; `onSlowConsumer` is then called once.
   * With `deliver`, payloads go to it as they resolve (false: it could not take one, the subscriber is
   * dropped) and the returned iterator carries only what ends the subscription (an error, its end);
   * without it, everything goes through the iterator.
   */
  start(onSlowConsumer: () => void, isCongested?: () => boolean, deliver?: (result: ExecutionResult) => boolean): AsyncIterableIterator<ExecutionResult>;
  /** Gives up a subscription that will not be started. */
  discard(): void;
}

/** Counters for tests, benchmarks and metrics. */
export interface SubscriptionEngineStats {
  subscribers: number;
  groups: number;
  payloadExecutions: number;
  /** Subscribe-time checks run, and those answered by joining an identical one in flight or from a passed one. */
  probes: number;
  probesJoined: number;
  probesRemembered: number;
  deliveries: number;
  slowConsumersDropped: number;
}

/** The engine's interface. */
export interface SubscriptionEngine {
  /** Validates a subscription; answers errors (`BAD_USER_INPUT`, `NOT_FOUND`, `RESYNC_REQUIRED`, …) or a prepared subscription. */
  prepare(request: SubscribeRequest): Promise<PreparedSubscription | readonly GraphQLError[]>;
  stats(): SubscriptionEngineStats;
  close(): void;
}

interface Subscriber {
  declaration: StreamDeclaration;
  /** Its stream's signal name (`vms.vm`), shared by the stream's subscribers. */
  stream: string;
  scope: SubscriberScope;
  tenantId: string;
  keys: string[] | null;
  group: PayloadGroup | null;
  channel: EventChannel<ExecutionResult> | null;
  /** While preparing and replaying, live entries wait here (at most the replay limit). */
  buffer: FeedEntry[] | null;
  /** The buffer passed its limit during the replay: the subscription is answered RESYNC_REQUIRED. */
  overflowed: boolean;
  pending: FeedEntry[];
  /**
   * Replayed entries still at the head of `pending`: read from the feed and bounded by the replay
   * limit, they do not count as falling behind (a dashboard resuming after a drop would be dropped again).
   */
  replayBacklog: number;
  /** Entries whose payloads are being resolved, in stream order (at most `resolveAhead`). */
  resolving: { entry: FeedEntry; result: Promise<ExecutionResult | null> }[];
  last: EventPosition | null;
  pumping: boolean;
  closed: boolean;
  onSlowConsumer: () => void;
  isCongested: () => boolean;
  /** Hands a payload straight to the transport (the WebSocket writes it), bypassing the channel. */
  deliver: ((result: ExecutionResult) => boolean) | null;
}

/** Creates the engine. */
export function createSubscriptionEngine(options: SubscriptionEngineOptions): SubscriptionEngine {
  const queueLimit = options.queueLimit ?? 256;
  const resolveAhead = Math.max(1, options.resolveAhead ?? 16);
  const replayLimit = options.replayLimit ?? 10_000;
  const index = createSubscriberIndex<Subscriber>();
  const groups = createPayloadGroups(options.executePayload);
  const liveStops = new Map<string, Promise<() => void>>();
  // Payload results already reported resolved: a group's members share one promise per event.
  const resolvedSeen = new WeakSet<Promise<ExecutionResult | null>>();
  const counters = { deliveries: 0, slowConsumersDropped: 0, subscribers: 0 };
  // One string per stream, not one per subscriber (each subscription's closures keep its stream's name).
  const streamNames = new Map<StreamDeclaration, string>();
  const streamNameOf = (declaration: StreamDeclaration) => {
    let name = streamNames.get(declaration);
    if (!name) {
      name = `${declaration.subgraph}.${declaration.stream}`;
      streamNames.set(declaration, name);
    }
    return name;
  };

  // Entries are taken in stream order and each goes to the subscribers of its tenant and entities
  // only, so a subscriber still sees its events in order.
  const routeLive = (stream: string) => (entries: FeedEntry[]) => {
    for (const entry of entries) {
      for (const subscriber of index.concerned(stream, entry)) {
        if (subscriber.buffer) {
          if (subscriber.buffer.length >= replayLimit) {
            subscriber.overflowed = true;
            subscriber.buffer.length = 0;
          } else subscriber.buffer.push(entry);
        } else enqueue(subscriber, entry);
      }
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

  const drop = (subscriber: Subscriber) => {
    if (subscriber.closed) return;
    counters.slowConsumersDropped += 1;
    options.logger.warn({ field: subscriber.declaration.field, tenantId: subscriber.tenantId }, 'dropping a slow subscriber');
    subscriber.onSlowConsumer();
    void subscriber.channel?.return();
  };

  const enqueue = (subscriber: Subscriber, entry: FeedEntry, replayed = false) => {
    if (subscriber.closed) return;
    // Replay and live reading overlap at the hand-over: skip what this subscriber already has.
    if (subscriber.last && compareEventPositions(entry.position, subscriber.last) <= 0) return;
    subscriber.last = entry.position;
    subscriber.pending.push(entry);
    if (replayed) subscriber.replayBacklog += 1;
    if (subscriber.pending.length - subscriber.replayBacklog > queueLimit * 4) return drop(subscriber);
    // A running pump takes the entry itself: calling it again cost a promise per delivery for nothing.
    if (subscriber.pumping) {
      if (subscriber.group) resolveNext(subscriber, subscriber.group);
    } else void pump(subscriber);
  };

  // Up to `resolveAhead` payloads of a subscriber resolve at once and are delivered in stream order:
  // resolving one at a time capped every subscriber at one payload round trip per event (about 27
  // events/s on a loaded machine), so the fleet page was dropped as a slow consumer at 100 events/s.
  const resolveNext = (subscriber: Subscriber, group: PayloadGroup) => {
    while (subscriber.resolving.length < resolveAhead && subscriber.pending.length > 0) {
      const entry = subscriber.pending.shift() as FeedEntry;
      if (subscriber.replayBacklog > 0) subscriber.replayBacklog -= 1;
      // Awaited in order by the pump; the group marks a failure handled once for all its members.
      subscriber.resolving.push({ entry, result: group.resolve(entry.cursor) });
    }
  };

  const pump = async (subscriber: Subscriber) => {
    if (!subscriber.group || !subscriber.channel) return;
    resolveNext(subscriber, subscriber.group);
    if (subscriber.pumping) return;
    subscriber.pumping = true;
    try {
      while (!subscriber.closed && subscriber.group) {
        resolveNext(subscriber, subscriber.group);
        const next = subscriber.resolving.shift();
        if (!next) break;
        const { entry } = next;
        const result = await next.result;
        if (options.onPayloadResolved && !resolvedSeen.has(next.result)) {
          resolvedSeen.add(next.result);
          options.onPayloadResolved(entry);
        }
        if (subscriber.closed) break;
        if (result) {
          if (subscriber.isCongested() || !(subscriber.deliver ? subscriber.deliver(result) : subscriber.channel.push(result))) return drop(subscriber);
          counters.deliveries += 1;
          options.onDelivered?.(entry);
        }
        if (subscriber.declaration.completeOnTerminal && entry.terminal) {
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

  const release = (subscriber: Subscriber) => {
    index.remove(subscriber.stream, subscriber);
    if (subscriber.group) groups.leave(subscriber.group, subscriber.scope);
    subscriber.group = null;
  };

  /** What a subscriber's channel runs when it ends. */
  const endOf = (subscriber: Subscriber) => () => {
    subscriber.closed = true;
    counters.subscribers -= 1;
    release(subscriber);
  };

  return {
    async prepare(request) {
      let parsed;
      try {
        parsed = parseSubscription(options.schema, options.declarations, request);
      } catch (error) {
        return [toGraphQLError(error)];
      }
      const { declaration, args } = parsed;
      const stream = streamNameOf(declaration);
      const feed = options.feeds.get(declaration.subgraph);
      if (!feed) return [appError('INTERNAL_SERVER_ERROR', `no event feed for ${declaration.subgraph}`)];
      // The owning subgraph checks the caller and the arguments: an empty cursor asks only that. Identical
      // subscriptions (same tenant and roles) share one check, in flight or passed (createPayloadGroups).
      const probe = await groups.probe(parsed.payloadDocument, parsed.payloadVariables, request.scope).catch((error: unknown) => ({
        errors: [toGraphQLError(error)],
      }));
      if (probe.errors?.length) return probe.errors.map(toGraphQLError);

      const subscriber: Subscriber = {
        declaration,
        stream,
        scope: request.scope,
        tenantId: request.scope.tenantId,
        keys: routingKeysOf(declaration, args),
        group: null,
        channel: null,
        buffer: [],
        overflowed: false,
        pending: [],
        replayBacklog: 0,
        resolving: [],
        last: null,
        pumping: false,
        closed: false,
        onSlowConsumer: () => {},
        isCongested: () => false,
        deliver: null,
      };
      // Follow the live tail before replaying, so no event falls between the two.
      let replayed: FeedEntry[];
      try {
        await followStream(stream);
        index.add(stream, subscriber);
        replayed = await replayMissedEvents(feed, declaration, args, request.scope.tenantId, replayLimit);
        if (subscriber.overflowed) throw tooFarBehind(replayLimit);
      } catch (error) {
        release(subscriber);
        return [toGraphQLError(error)];
      }
      return {
        field: declaration.field,
        discard: () => release(subscriber),
        start(onSlowConsumer, isCongested, deliver) {
          subscriber.onSlowConsumer = onSlowConsumer;
          if (isCongested) subscriber.isCongested = isCongested;
          if (deliver) subscriber.deliver = deliver;
          subscriber.group = groups.join(parsed.payloadDocument, parsed.payloadVariables, request.scope);
          counters.subscribers += 1;
          // Made apart from this closure, whose context (the request, its parsed form) the channel would keep.
          const channel = createEventChannel<ExecutionResult>(queueLimit, endOf(subscriber));
          subscriber.channel = channel;
          const live = subscriber.buffer ?? [];
          subscriber.buffer = null;
          // This closure lives as long as the subscription: it must not keep up to `replayLimit` replayed entries.
          const missed = replayed;
          replayed = [];
          if (subscriber.overflowed) {
            // The live buffer overflowed between the replay and this start.
            channel.push({ errors: [tooFarBehind(replayLimit)] });
            channel.end();
            return channel;
          }
          for (const entry of missed) enqueue(subscriber, entry, true);
          for (const entry of live) enqueue(subscriber, entry);
          return channel;
        },
      };
    },
    stats: () => ({ ...counters, ...groups.stats() }),
    close() {
      for (const stop of liveStops.values()) void stop.then((run) => run(), () => {});
      liveStops.clear();
      for (const subscriber of index.all()) void subscriber.channel?.return();
    },
  };
}

function toGraphQLError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  if (error instanceof FeedError) {
    if (error.code === 'RESYNC_REQUIRED' || error.code === 'BAD_USER_INPUT') return new AppError(error.code, error.message, { field: 'after' });
    if (error.code === 'NOT_FOUND') return new AppError('NOT_FOUND', error.message);
  }
  if (error && typeof error === 'object' && 'message' in error && 'extensions' in error) {
    const formatted = error as { message: string; extensions?: Record<string, unknown> };
    return new GraphQLError(formatted.message, { extensions: formatted.extensions });
  }
  return appError('INTERNAL_SERVER_ERROR', 'Internal server error', {}, error);
}
