import { describe, expect, it } from 'vitest';
import type { SQL } from 'drizzle-orm';
import { encodeEventCursor } from '@novacron/events';
import type { FeedRequest } from '../src/index.ts';
import type { SqlExecutor } from '../src/outbox/SqlExecutor.ts';
import { noteOrigin, useStreamSchema } from './support.ts';

const schema = 'kit_page';
const origin = noteOrigin(schema);
const kit = useStreamSchema(schema);

/** The test database, counting the statements a read runs (prepared or not). */
function countingDatabase() {
  const counted = {
    statements: 0,
    db: {
      $client: {
        unsafe: (text: string, params: unknown[], options: { prepare: boolean }) => {
          counted.statements += 1;
          return kit.stream.sql.unsafe(text, params as never[], options);
        },
      },
      execute: (query: SQL) => {
        counted.statements += 1;
        return kit.stream.db.execute(query);
      },
    } as SqlExecutor & { $client: object },
  };
  return counted;
}

const append = (tenantId: string, entityId: string) =>
  kit.stream.db.transaction((tx) => kit.stream.outbox.append(tx, 'note', { tenantId, entityId, version: 1, type: 'WRITTEN', payload: { entityId } }));

describe('a feed page', () => {
  it('is one statement: page, heldBack under each filter, full pages, head reads', async () => {
    await append('alpha', 'n-1');
    // n-2's transaction stays open: n-3 commits after it and waits behind the commit horizon.
    const open = await kit.stream.sql.reserve();
    await open`begin`;
    await open`insert into kit_page.note_events (tenant_id, entity_id, keys, version, type, payload) values ('alpha', 'n-2', '{n-2}', 1, 'WRITTEN', '{}')`;
    await append('bravo', 'n-3');
    try {
      const cases: [Partial<FeedRequest>, string[], boolean][] = [
        [{}, ['n-1'], true],
        [{ tenantId: 'alpha' }, ['n-1'], false],
        [{ tenantId: 'bravo' }, [], true],
        [{ entityId: 'n-3', after: null }, [], true],
        [{ entityId: 'n-1', after: null }, ['n-1'], false],
        [{ first: 1 }, ['n-1'], false],
      ];
      for (const [filters, entities, heldBack] of cases) {
        const counted = countingDatabase();
        const page = await kit.stream.outbox.readFeed(counted.db, { stream: 'note', after: origin, first: 100, ...filters });
        expect([page.entries.map((entry) => entry.entityId), page.heldBack], JSON.stringify(filters)).toEqual([entities, heldBack]);
        expect(counted.statements, JSON.stringify(filters)).toBe(1);
      }
      const counted = countingDatabase();
      const head = await kit.stream.outbox.readFeed(counted.db, { stream: 'note', first: 1 });
      expect(head.entries).toEqual([]);
      expect(counted.statements).toBe(1);
    } finally {
      await open`commit`;
      open.release();
    }
    const rest = await kit.stream.outbox.readFeed(kit.stream.db, { stream: 'note', after: origin, first: 100 });
    expect([rest.entries.map((entry) => entry.entityId), rest.heldBack]).toEqual([['n-1', 'n-2', 'n-3'], false]);
  });

  it('hands entries out in (txid, seq) order whatever order the rows arrive in', async () => {
    const reversing = {
      $client: { unsafe: async (text: string, params: unknown[], options: { prepare: boolean }) => [...(await kit.stream.sql.unsafe(text, params as never[], options))].reverse() },
      execute: (query: SQL) => kit.stream.db.execute(query),
    } as SqlExecutor & { $client: object };
    const straight = await kit.stream.outbox.readFeed(kit.stream.db, { stream: 'note', after: origin, first: 100 });
    const reversed = await kit.stream.outbox.readFeed(reversing, { stream: 'note', after: origin, first: 100 });
    expect(straight.entries.length).toBeGreaterThan(1);
    expect(reversed).toEqual(straight);
  });

  it('reads the same inside a transaction, where no prepared statement is used', async () => {
    const outside = await kit.stream.outbox.readFeed(kit.stream.db, { stream: 'note', after: origin, first: 100, withPayload: true });
    const inside = await kit.stream.db.transaction((tx) => kit.stream.outbox.readFeed(tx, { stream: 'note', after: origin, first: 100, withPayload: true }));
    expect(inside).toEqual(outside);
    expect(inside.entries.length).toBeGreaterThan(0);
  });

  it('answers RESYNC_REQUIRED from the same one statement, and ignores the watermark for an entity read', async () => {
    const [last] = await kit.stream.sql<{ txid: string; seq: string }[]>`select txid::text as txid, seq::text as seq from kit_page.note_events order by txid, seq limit 1`;
    await kit.stream.sql`insert into kit_page.event_retention (stream, pruned_through_txid, pruned_through_seq) values ('note', ${last!.txid}::xid8, ${last!.seq})`;
    try {
      const counted = countingDatabase();
      await expect(kit.stream.outbox.readFeed(counted.db, { stream: 'note', after: origin, first: 10 })).rejects.toMatchObject({ extensions: { code: 'RESYNC_REQUIRED', field: 'after' } });
      expect(counted.statements).toBe(1);
      const atWatermark = encodeEventCursor({ stream: `${schema}.note`, txid: last!.txid, seq: Number(last!.seq) });
      expect((await kit.stream.outbox.readFeed(kit.stream.db, { stream: 'note', after: atWatermark, first: 10 })).entries.map((entry) => entry.entityId)).toEqual(['n-2', 'n-3']);
      expect((await kit.stream.outbox.readFeed(kit.stream.db, { stream: 'note', entityId: 'n-1', first: 10 })).entries.map((entry) => entry.entityId)).toEqual(['n-1']);
    } finally {
      await kit.stream.sql`delete from kit_page.event_retention`;
    }
  });
});
