import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrateMetrics } from '../src/db/migrateMetrics.ts';
import { defaultRetention, maintainPartitions } from '../src/domain/retention.ts';
import { findSampleEvent, metricsOutbox } from '../src/domain/sampleStream.ts';
import { writeSamples } from '../src/domain/writeSamples.ts';
import type { Sample } from '../src/domain/Sample.ts';
import { hoursAgo, plusSeconds } from './support/timeline.ts';
import { project } from './support/project.ts';
import { vmHistory } from './support/vmEvents.ts';

let database: TestDatabase;
const now = new Date();
const vmA = vmHistory({ tenantId: 'acme' });
const vmB = vmHistory({ tenantId: 'other' });
const base = hoursAgo(1);

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateMetrics(database.url);
  await maintainPartitions(database.sql, now, defaultRetention);
  await project(database.sql, [vmA.event('CREATED', {}, hoursAgo(5)), vmB.event('CREATED', {}, hoursAgo(5))]);
});
afterAll(async () => {
  await database?.drop();
});

const tenantOf = (vmId: string) => (vmId === vmA.id ? 'acme' : vmId === vmB.id ? 'other' : undefined);
const cpu = (vmId: string, second: number, value: number): Sample => ({ vmId, kind: 'CPU_PERCENT', t: plusSeconds(base, second), value });
const describeEntry = (entry: { tenantId: string; entityId: string; type: string; payload: unknown }) => {
  const payload = entry.payload as { tMs: number; value: number };
  return [entry.tenantId, entry.entityId, entry.type, (payload.tMs - base.getTime()) / 1000, payload.value];
};

describe('the sample stream (one row per VM and statement, one feed entry per sample)', () => {
  it('stores one row per VM of a statement and hands out every sample in key order, pageable at any sample', async () => {
    const feedDb = drizzle(database.sql);
    const { endCursor: head } = await metricsOutbox.readFeed(feedDb, { stream: 'sample', first: 1 });
    const rowCount = async () => (await database.sql<{ n: number }[]>`select count(*)::int as n from metrics.sample_events`)[0]!.n;
    const rowsBefore = await rowCount();
    await database.sql.begin((tx) => writeSamples(tx, [cpu(vmA.id, 120, 3), cpu(vmB.id, 60, 9), cpu(vmA.id, 0, 1), cpu(vmA.id, 60, 2)], tenantOf));
    await database.sql.begin((tx) => writeSamples(tx, [cpu(vmA.id, 180, 4)], tenantOf));
    expect((await rowCount()) - rowsBefore).toBe(3);

    const all = await metricsOutbox.readFeed(feedDb, { stream: 'sample', first: 100, after: head, withPayload: true });
    const acmeFirst = vmA.id < vmB.id;
    const acme = [['acme', vmA.id, 'CPU_PERCENT', 0, 1], ['acme', vmA.id, 'CPU_PERCENT', 60, 2], ['acme', vmA.id, 'CPU_PERCENT', 120, 3]];
    const other = [['other', vmB.id, 'CPU_PERCENT', 60, 9]];
    const expected = [...(acmeFirst ? [...acme, ...other] : [...other, ...acme]), ['acme', vmA.id, 'CPU_PERCENT', 180, 4]];
    expect(all.entries.map(describeEntry)).toEqual(expected);
    expect(new Set(all.entries.map((entry) => entry.cursor)).size).toBe(5);
    expect(all.endCursor).toBe(all.entries[4]!.cursor);

    // Pages of two split rows: together they are exactly the whole feed, no gap, no repeat.
    const paged: unknown[] = [];
    let after = head;
    for (let page = 0; page < 4; page++) {
      const next = await metricsOutbox.readFeed(feedDb, { stream: 'sample', first: 2, after, withPayload: true });
      paged.push(...next.entries.map(describeEntry));
      after = next.endCursor;
    }
    expect(paged).toEqual(expected);
    // Every cursor resolves to its own sample; the head read after the writes is the last sample.
    for (const [index, entry] of all.entries.entries()) {
      const event = await findSampleEvent(database.sql, entry.cursor);
      expect([event?.tenantId, event?.sample.vmId, (event!.sample.t.getTime() - base.getTime()) / 1000, event?.sample.value]).toEqual([expected[index]![0], expected[index]![1], expected[index]![3], expected[index]![4]]);
    }
    expect((await metricsOutbox.readFeed(feedDb, { stream: 'sample', first: 1 })).endCursor).toBe(all.entries[4]!.cursor);
    // Entity and tenant filters apply to every sample of a row.
    const onlyB = await metricsOutbox.readFeed(feedDb, { stream: 'sample', first: 100, entityId: vmB.id });
    expect(onlyB.entries.map((entry) => entry.entityId)).toEqual([vmB.id]);
    const onlyAcme = await metricsOutbox.readFeed(feedDb, { stream: 'sample', first: 100, after: head, tenantId: 'acme' });
    expect(onlyAcme.entries.map((entry) => entry.tenantId)).toEqual(['acme', 'acme', 'acme', 'acme']);
  });

  it('reads across many rows in one page (rows are fetched a few at a time, more each round)', async () => {
    const feedDb = drizzle(database.sql);
    const { endCursor: head } = await metricsOutbox.readFeed(feedDb, { stream: 'sample', first: 1 });
    for (let statement = 0; statement < 9; statement++) {
      await database.sql.begin((tx) => writeSamples(tx, [cpu(vmA.id, 300 + statement * 60, statement), cpu(vmB.id, 300 + statement * 60, 100 + statement)], tenantOf));
    }
    const page = await metricsOutbox.readFeed(feedDb, { stream: 'sample', first: 100, after: head, withPayload: true });
    expect(page.entries.map((entry) => (entry.payload as { value: number }).value).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 100, 101, 102, 103, 104, 105, 106, 107, 108]);
    const short = await metricsOutbox.readFeed(feedDb, { stream: 'sample', first: 13, after: head, withPayload: true });
    expect(short.entries.map((entry) => entry.cursor)).toEqual(page.entries.slice(0, 13).map((entry) => entry.cursor));
    const rest = await metricsOutbox.readFeed(feedDb, { stream: 'sample', first: 100, after: short.endCursor });
    expect(rest.entries.map((entry) => entry.cursor)).toEqual(page.entries.slice(13).map((entry) => entry.cursor));
  });

  it('prunes whole rows and refuses a cursor inside them with RESYNC_REQUIRED, accepting the last pruned sample', async () => {
    const feedDb = drizzle(database.sql);
    const { endCursor: head } = await metricsOutbox.readFeed(feedDb, { stream: 'sample', first: 1 });
    await database.sql.begin((tx) => writeSamples(tx, [cpu(vmA.id, 600, 1), cpu(vmA.id, 660, 2), cpu(vmA.id, 720, 3)], tenantOf));
    const { entries } = await metricsOutbox.readFeed(feedDb, { stream: 'sample', first: 100, after: head });
    expect(entries).toHaveLength(3);
    await database.sql`update metrics.sample_events set created_at = now() - interval '2 days'`;
    const pruned = await metricsOutbox.prune(feedDb, 86_400);
    expect(pruned.sample).toBeGreaterThan(0);
    await expect(metricsOutbox.readFeed(feedDb, { stream: 'sample', first: 10, after: entries[1]!.cursor })).rejects.toMatchObject({ extensions: { code: 'RESYNC_REQUIRED', field: 'after' } });
    expect((await metricsOutbox.readFeed(feedDb, { stream: 'sample', first: 10, after: entries[2]!.cursor })).entries).toEqual([]);
    expect(await findSampleEvent(database.sql, entries[0]!.cursor)).toBeNull();
  });
});
