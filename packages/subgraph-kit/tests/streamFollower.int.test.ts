import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@novacron/server-kit';
import type { FeedFetcher } from '@novacron/events';
import { createTestDatabase, waitFor, type TestDatabase } from '@novacron/testing';
import { startStreamFollower } from '../src/index.ts';
import { countInto, inProcessFeed } from './fixtures/countingProjection.ts';
import { createStreamSchema } from './support.ts';

let database: TestDatabase;
let stream: Awaited<ReturnType<typeof createStreamSchema>>;
const schema = 'kit_follow';
const logger = createLogger('test', 'silent');

beforeAll(async () => {
  database = await createTestDatabase();
  stream = await createStreamSchema(database.url, schema);
  for (const table of ['counts', 'rebuilt', 'outage'])
    await stream.sql.unsafe(`create table ${schema}.${table} (entity_id text primary key, applied integer not null, last_version integer not null)`);
});
afterAll(async () => {
  await stream?.sql.end();
  await database?.drop();
});

/** Appends `count` events over `entities` entities, a few per transaction. */
async function appendEvents(count: number, entities: number, from = 0): Promise<void> {
  for (let index = from; index < from + count; index += 5) {
    await stream.db.transaction(async (tx) => {
      for (let offset = index; offset < Math.min(index + 5, from + count); offset += 1) {
        const entity = `e-${offset % entities}`;
        await stream.outbox.append(tx, 'note', { tenantId: 'alpha', entityId: entity, version: Math.floor(offset / entities) + 1, type: 'WRITTEN', payload: { offset } });
      }
    });
  }
}

const projection = async (table: string) => stream.sql.unsafe<{ entity_id: string; applied: number; last_version: number }[]>(`select entity_id, applied, last_version from ${schema}.${table} order by entity_id`);

describe('stream follower', () => {
  it('survives a SIGKILL mid-batch: after a restart its projection equals a rebuild from scratch, nothing applied twice', async () => {
    await appendEvents(300, 12);
    const child = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/followInChild.ts', import.meta.url)), database.url, schema], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // Kill once it has committed at least one batch and is inside another (5 ms per event, 40 per batch).
    await waitFor(async () => (await stream.sql`select 1 from kit_follow.stream_cursors where name = 'counts'`).length === 1, { timeoutMs: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 60));
    child.kill('SIGKILL');
    await exited;
    const [{ total } = { total: 0 }] = await stream.sql<{ total: number }[]>`select coalesce(sum(applied), 0)::int as total from kit_follow.counts`;
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThan(300);

    const feed = inProcessFeed(stream.outbox, stream.db);
    const restarted = startStreamFollower({ name: 'counts', schema, db: stream.db, source: { subgraph: schema, stream: 'note' }, feed, apply: countInto(`${schema}.counts`), logger, pollIntervalMs: 50 });
    const rebuilt = startStreamFollower({ name: 'rebuilt', schema, db: stream.db, source: { subgraph: schema, stream: 'note' }, feed, apply: countInto(`${schema}.rebuilt`), logger, pollIntervalMs: 50 });
    await Promise.all([restarted.caughtUp(), rebuilt.caughtUp()]);
    await Promise.all([restarted.stop(), rebuilt.stop()]);
    const counts = await projection('counts');
    expect(counts).toEqual(await projection('rebuilt'));
    expect(counts.reduce((sum, row) => sum + row.applied, 0)).toBe(300);
  });

  it('keeps trying while the source is down and catches up when it returns', async () => {
    const feed = inProcessFeed(stream.outbox, stream.db);
    let down = true;
    let failedReads = 0;
    const flaky: FeedFetcher = async (read) => {
      if (down) {
        failedReads += 1;
        throw new Error('connect ECONNREFUSED (the source subgraph is down)');
      }
      return feed(read);
    };
    const follower = startStreamFollower({ name: 'outage', schema, db: stream.db, source: { subgraph: schema, stream: 'note' }, feed: flaky, apply: countInto(`${schema}.outage`), logger, pollIntervalMs: 20 });
    await waitFor(() => failedReads >= 2);
    expect(await projection('outage')).toEqual([]);
    down = false;
    await appendEvents(20, 12, 300);
    await follower.caughtUp();
    await follower.stop();
    expect((await projection('outage')).reduce((sum, row) => sum + row.applied, 0)).toBe(320);
  });

  it('two replicas of one follower apply every event exactly once between them', async () => {
    await stream.sql.unsafe(`create table ${schema}.shared (entity_id text primary key, applied integer not null, last_version integer not null)`);
    const feed = inProcessFeed(stream.outbox, stream.db);
    const replicas = [0, 1].map(() =>
      startStreamFollower({ name: 'shared', schema, db: stream.db, source: { subgraph: schema, stream: 'note' }, feed, apply: countInto(`${schema}.shared`, 1), logger, batchSize: 25, pollIntervalMs: 20 }),
    );
    await Promise.all(replicas.map((replica) => replica.caughtUp()));
    await Promise.all(replicas.map((replica) => replica.stop()));
    expect((await projection('shared')).reduce((sum, row) => sum + row.applied, 0)).toBe(320);
  });

  it('is not caught up while committed events wait behind an older open transaction, and applies them soon after it commits', async () => {
    await stream.sql.unsafe(`create table ${schema}.held (entity_id text primary key, applied integer not null, last_version integer not null)`);
    const feed = inProcessFeed(stream.outbox, stream.db);
    let heldBackReads = 0;
    const counting: FeedFetcher = async (read) => {
      const page = await feed(read);
      if (page.heldBack) heldBackReads += 1;
      return page;
    };
    // A long poll interval: only the held-back re-reads can bring the events in while the test waits.
    const follower = startStreamFollower({ name: 'held', schema, db: stream.db, source: { subgraph: schema, stream: 'note' }, feed: counting, apply: countInto(`${schema}.held`), logger, pollIntervalMs: 60_000 });
    await follower.caughtUp();
    const open = await stream.sql.reserve();
    try {
      await open`begin`;
      await open.unsafe(`insert into ${schema}.note_events (tenant_id, entity_id, keys, version, type, payload) values ('alpha', 'h-1', '{h-1}', 1, 'WRITTEN', '{}')`);
      await stream.db.transaction((tx) => stream.outbox.append(tx, 'note', { tenantId: 'alpha', entityId: 'h-2', version: 1, type: 'WRITTEN', payload: {} }));
      let caught = false;
      const caughtUp = follower.caughtUp().then(() => {
        caught = true;
      });
      await waitFor(() => heldBackReads >= 2);
      expect(caught).toBe(false);
      await open`commit`;
      await caughtUp;
    } finally {
      open.release();
    }
    await follower.stop();
    const held = (await projection('held')).filter((row) => row.entity_id.startsWith('h-'));
    expect(held).toEqual([
      { entity_id: 'h-1', applied: 1, last_version: 1 },
      { entity_id: 'h-2', applied: 1, last_version: 1 },
    ]);
  });

  it('a replica whose last committed cursor went stale applies nothing twice and reads on from where the other left it', async () => {
    await stream.sql.unsafe(`create table ${schema}.stale (entity_id text primary key, applied integer not null, last_version integer not null)`);
    const feed = inProcessFeed(stream.outbox, stream.db);
    const pagesReadByFirst: number[] = [];
    const firstFeed: FeedFetcher = async (read) => {
      const page = await feed(read);
      pagesReadByFirst.push(page.entries.length);
      return page;
    };
    // A long poll interval and no signals: each replica reads only when asked to catch up.
    const follow = (from: FeedFetcher) => startStreamFollower({ name: 'stale', schema, db: stream.db, source: { subgraph: schema, stream: 'note' }, feed: from, apply: countInto(`${schema}.stale`), logger, pollIntervalMs: 60_000 });
    const first = follow(firstFeed);
    await first.caughtUp();
    // Its last read applies a page, so it keeps that page's end as its cursor.
    await appendEvents(3, 3, 1_000);
    await first.caughtUp();
    const appliedByFirst = first.applied();
    await appendEvents(5, 5, 2_000);
    const second = follow(feed);
    await second.caughtUp();
    await second.stop();
    expect(second.applied()).toBe(5);
    await appendEvents(5, 5, 3_000);
    pagesReadByFirst.length = 0;
    await first.caughtUp();
    await first.stop();
    // From its stale cursor it read the second replica's 5 events with the 5 new ones, applied none of
    // them (the cursor had moved), then read from where the second one left it.
    expect(pagesReadByFirst.slice(0, 2)).toEqual([10, 5]);
    expect(first.applied()).toBe(appliedByFirst + 5);
    // Every event of the stream applied exactly once between them.
    const events = await stream.sql<{ entity_id: string; applied: number }[]>`
      select entity_id, count(*)::int as applied from kit_follow.note_events group by entity_id order by entity_id`;
    expect((await projection('stale')).map(({ entity_id, applied }) => ({ entity_id, applied }))).toEqual([...events]);
  });

  it('starts no read of its own for signals that come within minIntervalMs of its last read', async () => {
    const foldSchema = 'kit_follow_fold';
    const fold = await createStreamSchema(database.url, foldSchema);
    try {
      await fold.sql.unsafe(`create table ${foldSchema}.folded (entity_id text primary key, applied integer not null, last_version integer not null)`);
      const feed = inProcessFeed(fold.outbox, fold.db);
      let reads = 0;
      let readsDone = 0;
      const counting: FeedFetcher = async (read) => {
        reads += 1;
        try {
          return await feed(read);
        } finally {
          readsDone += 1;
        }
      };
      // An interval longer than the test: every signal after the first read waits for it.
      const follower = startStreamFollower({
        name: 'folded',
        schema: foldSchema,
        db: fold.db,
        source: { subgraph: foldSchema, stream: 'note' },
        feed: counting,
        apply: countInto(`${foldSchema}.folded`),
        logger,
        pollIntervalMs: 60_000,
        minIntervalMs: 60_000,
      });
      await waitFor(() => readsDone === 1);
      for (let offset = 0; offset < 5; offset += 1) {
        await fold.db.transaction((tx) => fold.outbox.append(tx, 'note', { tenantId: 'alpha', entityId: `f-${offset}`, version: 1, type: 'WRITTEN', payload: { offset } }));
        // A signal, as each commit's NOTIFY brings one.
        void follower.caughtUp();
      }
      // Time for any read those signals would start (with 50 ms between reads, the fold of the previous default, there was one).
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(reads).toBe(1);
      await follower.stop();
      expect(await fold.sql`select count(*)::int as applied from kit_follow_fold.folded`).toEqual([{ applied: 0 }]);
    } finally {
      await fold.sql.end();
    }
  });
});
