/**
 * A durable follower of another subgraph's event stream: reads the feed with a system identity and
 * applies each batch to a projection in the same transaction that advances its cursor, so a crash or
 * restart neither loses nor double-applies an event. While the source is down it retries with backoff
 * and catches up when it returns; a rebuild from an empty cursor gives the same projection.
 */
import { sql } from 'drizzle-orm';
import { text, timestamp, type PgSchema } from 'drizzle-orm/pg-core';
import { createEventSignalSource, encodeEventCursor, heldBackRetryDelay, type EventSignalSource, type FeedEntry, type FeedFetcher } from '@novacron/events';
import type { Logger } from '@novacron/server-kit';
import { queryRows, type SqlExecutor } from '../outbox/SqlExecutor.ts';

/** The drizzle table holding a subgraph's follower cursors, for its db/schema.ts. */
export function streamCursorTable(schema: PgSchema) {
  return schema.table('stream_cursors', {
    name: text('name').primaryKey(),
    cursor: text('cursor').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  });
}

/** A database the follower can open transactions on (a drizzle database). */
export interface TransactionalExecutor extends SqlExecutor {
  transaction<T>(run: (tx: SqlExecutor) => Promise<T>): Promise<T>;
}

/** A follower's default minimum interval between reads (`EVENT_FOLLOWER_MIN_INTERVAL_MS` in the subgraphs). */
export const defaultFollowerMinIntervalMs = 250;

/** Options for {@link startStreamFollower}. */
export interface StreamFollowerOptions {
  /** The cursor's name in `<schema>.stream_cursors`; one per projection (`billing.vm_intervals`). */
  name: string;
  /** The follower's own Postgres schema (holding `stream_cursors`). */
  schema: string;
  db: TransactionalExecutor;
  /** The source stream, as `<subgraph>.<stream>` (`vms.vm`), and its feed (`SubgraphClient.feed`). */
  source: { subgraph: string; stream: string };
  feed: FeedFetcher;
  /** Applies a batch, in order, inside the transaction that then advances the cursor. */
  apply(tx: SqlExecutor, entries: FeedEntry[]): Promise<void>;
  logger: Logger;
  batchSize?: number;
  /** Reads at least this often; signals (LISTEN or Redis) wake it sooner. */
  pollIntervalMs?: number;
  /**
   * Reads at most this often (default {@link defaultFollowerMinIntervalMs}): signals that arrive
   * sooner after the last read are folded into the next one. A signal after a quiet spell is read at
   * once; under load this bounds the lag it adds. Each read costs the follower, its database and the
   * source a feed request and a transaction (about 6 ms of CPU in all, however few events it brings):
   * a busy source (one NOTIFY per committed event) used to wake every follower for every event, and
   * at 50 ms three followers still spent half a core at 10 creates/s (docs/benchmarks.md, issue 14,
   * "Follower reads").
   */
  minIntervalMs?: number;
  /** Signals of committed events: `DATABASE_URL` (LISTEN/NOTIFY) or a Redis URL. */
  signals?: { databaseUrl?: string; redisUrl?: string; redisPrefix?: string };
}

/** A running follower. */
export interface StreamFollower {
  /** Resolves once the follower has read everything the source had committed when called. */
  caughtUp(): Promise<void>;
  /** How many events it has applied since it started. */
  applied(): number;
  stop(): Promise<void>;
}

/** Starts following; returns at once (the first read happens in the background). */
export function startStreamFollower(options: StreamFollowerOptions): StreamFollower {
  const batchSize = options.batchSize ?? 500;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const minIntervalMs = options.minIntervalMs ?? defaultFollowerMinIntervalMs;
  let lastReadAt = 0;
  const table = sql.raw(`"${options.schema}"."stream_cursors"`);
  const origin = encodeEventCursor({ stream: `${options.source.subgraph}.${options.source.stream}`, txid: '0', seq: 0 });
  let stopped = false;
  let appliedCount = 0;
  let wake: (() => void) | null = null;
  // A signal or caughtUp() that arrives while a read is under way must not wait for the next poll.
  let wokenDuringRead = false;
  const poke = () => {
    if (wake) wake();
    else wokenDuringRead = true;
  };
  let waiters: (() => void)[] = [];
  let failures = 0;
  let signals: EventSignalSource | null = null;

  const readCursor = async () => {
    const [row] = await queryRows<{ cursor: string }>(options.db, sql`select cursor from ${table} where name = ${options.name}`);
    return row?.cursor ?? null;
  };
  // The cursor this follower committed in its last step, so a busy follower does not read it back
  // before every page (a round trip each); any other step reads it, as does the one after a failure.
  let committedCursor: string | null = null;

  /**
   * Moves the cursor from `from` to `to` in `tx`, locking its row until commit: false when another
   * replica moved it first (the batch is then theirs). One statement where a read-and-lock, an insert
   * and an update were three.
   */
  const advanceCursor = async (tx: SqlExecutor, from: string, to: string) => {
    const moved = await queryRows(tx, sql`update ${table} set cursor = ${to}, updated_at = now() where name = ${options.name} and cursor = ${from} returning 1`);
    if (moved.length > 0) return true;
    if (from !== origin) return false;
    // The first batch: no row yet (or another replica's, which makes this insert do nothing).
    const inserted = await queryRows(tx, sql`insert into ${table} (name, cursor) values (${options.name}, ${to}) on conflict (name) do nothing returning 1`);
    return inserted.length > 0;
  };

  /**
   * Reads and applies one batch. `more`: the source has more right now (or another replica applied
   * this batch: read again from where it left the cursor); `heldBack`: committed events wait behind an
   * older transaction still in flight (their signal is already spent, so read again soon).
   */
  const step = async (): Promise<'more' | 'heldBack' | 'idle'> => {
    const cursor = committedCursor ?? (await readCursor()) ?? origin;
    committedCursor = null;
    const page = await options.feed({ stream: options.source.stream, after: cursor, first: batchSize, withPayload: true });
    const rest = page.heldBack ? 'heldBack' : 'idle';
    if (page.entries.length === 0) return rest;
    // The cursor is advanced first, in the same transaction: the apply commits with it or not at all.
    const applied = await options.db.transaction(async (tx) => {
      if (!(await advanceCursor(tx, cursor, page.endCursor))) return false;
      await options.apply(tx, page.entries);
      return true;
    });
    if (!applied) return 'more';
    committedCursor = page.endCursor;
    appliedCount += page.entries.length;
    return page.entries.length === batchSize ? 'more' : rest;
  };

  const loop = async () => {
    let heldBackDelayMs = 0;
    while (!stopped) {
      let result: Awaited<ReturnType<typeof step>> = 'idle';
      // Only a read that started after caughtUp() was called can prove the follower caught up.
      const pending = waiters;
      waiters = [];
      wokenDuringRead = false;
      lastReadAt = Date.now();
      try {
        result = await step();
        if (failures > 0) options.logger.info({ follower: options.name }, 'stream follower recovered');
        failures = 0;
      } catch (error) {
        failures += 1;
        if (failures === 1 || failures % 30 === 0) options.logger.warn({ err: error, follower: options.name, failures }, 'stream follower cannot read or apply; retrying');
      }
      // Held-back events are committed: the follower has not caught up until it has applied them.
      if (result !== 'idle' || failures > 0) waiters.push(...pending);
      else for (const resolve of pending) resolve();
      if (result === 'more') continue;
      // Held back: re-read after 25 ms, doubling up to the poll interval while the old transaction lasts.
      heldBackDelayMs = result === 'heldBack' ? heldBackRetryDelay(heldBackDelayMs, pollIntervalMs) : 0;
      let delay = failures > 0 ? Math.min(pollIntervalMs * 2 ** Math.min(failures, 5), 30_000) : heldBackDelayMs || pollIntervalMs;
      // Woken while reading: read again as soon as the minimum interval allows.
      if (wokenDuringRead && failures === 0) delay = Math.min(delay, Math.max(0, lastReadAt + minIntervalMs - Date.now()));
      await new Promise<void>((resolve) => {
        let timer = setTimeout(resolve, delay);
        wake = () => {
          clearTimeout(timer);
          const early = lastReadAt + minIntervalMs - Date.now();
          if (early <= 0 || stopped) return resolve();
          // Woken too soon after the last read: read once the interval is up. Later signals change
          // nothing; stop() still ends the wait at once.
          timer = setTimeout(resolve, early);
          wake = () => {
            if (!stopped) return;
            clearTimeout(timer);
            resolve();
          };
        };
      });
      wake = null;
    }
  };

  if (options.signals?.redisUrl || options.signals?.databaseUrl) {
    const streamName = `${options.source.subgraph}.${options.source.stream}`;
    signals = createEventSignalSource({
      ...options.signals,
      onSignal: (stream) => {
        if (stream === streamName) poke();
      },
    });
    signals.ready.catch((error: unknown) => options.logger.warn({ err: error, follower: options.name }, 'no event signals; polling'));
  }
  const running = loop();
  return {
    caughtUp: () =>
      new Promise<void>((resolve) => {
        waiters.push(resolve);
        poke();
      }),
    applied: () => appliedCount,
    stop: async () => {
      stopped = true;
      wake?.();
      await running;
      await signals?.close();
    },
  };
}
