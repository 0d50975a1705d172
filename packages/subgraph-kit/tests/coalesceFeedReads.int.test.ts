import { describe, expect, it } from 'vitest';
import type { SQL } from 'drizzle-orm';
import { waitFor } from '@novacron/testing';
import { coalesceFeedReads } from '../src/outbox/coalesceFeedReads.ts';
import type { SqlExecutor } from '../src/outbox/SqlExecutor.ts';
import { noteOrigin, useStreamSchema } from './support.ts';

const schema = 'kit_coalesce';
const origin = noteOrigin(schema);
const kit = useStreamSchema(schema);

const append = (entityId: string, version = 1) =>
  kit.stream.db.transaction((tx) => kit.stream.outbox.append(tx, 'note', { tenantId: 'alpha', entityId, version, type: 'WRITTEN', payload: { entityId } }));

/**
 * The test database as the outbox sees it, counting the statements it runs and, while `hold` is set,
 * holding each statement's rows after PostgreSQL answered (its snapshot taken) until released.
 */
function observedDatabase() {
  let release: () => void = () => {};
  let held: Promise<void> | null = null;
  const observed = {
    executed: 0,
    hold() {
      held = new Promise((resolve) => {
        release = resolve;
      });
    },
    release: () => release(),
    db: {
      $client: {
        unsafe: async (text: string, params: unknown[], options: { prepare: boolean }) => {
          const rows = await kit.stream.sql.unsafe(text, params as never[], options);
          observed.executed += 1;
          if (held) await held;
          return rows;
        },
      },
      execute: (query: SQL) => kit.stream.db.execute(query),
    } as SqlExecutor & { $client: object },
  };
  return observed;
}

describe('coalesced feed reads', () => {
  it('makes identical reads that arrive during a read share the next one, never the one already running', async () => {
    await append('n-1');
    const observed = observedDatabase();
    const reads = coalesceFeedReads(kit.stream.outbox, observed.db);
    const request = { stream: 'note', after: origin, first: 100, withPayload: true };
    observed.hold();
    const running = reads(request);
    // The first read has its snapshot (PostgreSQL answered) when an event commits and two more readers arrive.
    await waitFor(() => observed.executed === 1);
    await append('n-2');
    const second = reads(request);
    const third = reads(request);
    expect(second).toBe(third);
    expect(second).not.toBe(running);
    observed.release();
    expect((await running.page).entries.map((entry) => entry.entityId)).toEqual(['n-1']);
    expect((await second.page).entries.map((entry) => entry.entityId)).toEqual(['n-1', 'n-2']);
    expect(observed.executed).toBe(2);
  });

  it('keeps nothing once a read settled, and keeps different reads apart', async () => {
    const observed = observedDatabase();
    const reads = coalesceFeedReads(kit.stream.outbox, observed.db);
    const request = { stream: 'note', after: origin, first: 100 };
    const first = await reads(request).page;
    await append('n-3');
    const again = await reads(request).page;
    expect(again.entries.length).toBe(first.entries.length + 1);
    const [all, onlyOne, withPayload] = await Promise.all([reads(request).page, reads({ ...request, entityId: 'n-3' }).page, reads({ ...request, withPayload: true }).page]);
    expect(onlyOne.entries.map((entry) => entry.entityId)).toEqual(['n-3']);
    expect(all.entries.every((entry) => entry.payload === null)).toBe(true);
    expect(withPayload.entries.every((entry) => entry.payload !== null)).toBe(true);
    expect(observed.executed).toBe(5);
  });

  it('hands a failed read to every reader that joined it, and reads afresh afterwards', async () => {
    const observed = observedDatabase();
    const reads = coalesceFeedReads(kit.stream.outbox, observed.db);
    const pruned = { stream: 'note', after: origin, first: 10 };
    await kit.stream.sql`insert into kit_coalesce.event_retention (stream, pruned_through_txid, pruned_through_seq) values ('note', '1'::xid8, 1)`;
    try {
      observed.hold();
      const running = reads(pruned);
      const joined = reads(pruned);
      expect(reads(pruned)).toBe(joined);
      observed.release();
      await expect(running.page).rejects.toMatchObject({ extensions: { code: 'RESYNC_REQUIRED' } });
      await expect(joined.page).rejects.toMatchObject({ extensions: { code: 'RESYNC_REQUIRED' } });
    } finally {
      await kit.stream.sql`delete from kit_coalesce.event_retention`;
    }
    expect(observed.executed).toBe(2);
    expect((await reads(pruned).page).entries.length).toBeGreaterThan(0);
  });
});
