import { describe, expect, it } from 'vitest';
import { sql as raw } from 'drizzle-orm';
import { decodeEventCursor, encodeEventCursor } from '@novacron/events';
import { noteOrigin, useStreamSchema } from './support.ts';

const origin = noteOrigin('kit_outbox');
const kit = useStreamSchema('kit_outbox');

const note = (tenantId: string, entityId: string, version: number, type = 'WRITTEN') => ({ tenantId, entityId, version, type, payload: { entityId, version } });

describe('outbox', () => {
  it('reads appended events in commit order with their payload, and only committed ones', async () => {
    await kit.stream.db.transaction(async (tx) => {
      await kit.stream.outbox.append(tx, 'note', note('alpha', 'n-1', 1));
      await kit.stream.outbox.append(tx, 'note', { ...note('alpha', 'n-1', 2, 'CLOSED'), keys: ['n-1', 'folder-9'] });
    });
    // An open transaction's event is not final: it must not be read (nor may anything after it).
    const open = await kit.stream.sql.reserve();
    await open`begin`;
    await open`insert into kit_outbox.note_events (tenant_id, entity_id, keys, version, type, payload) values ('alpha', 'n-2', '{n-2}', 1, 'WRITTEN', '{}')`;
    await kit.stream.db.transaction((tx) => kit.stream.outbox.append(tx, 'note', note('bravo', 'n-3', 1)));
    const page = await kit.stream.outbox.readFeed(kit.stream.db, { stream: 'note', after: origin, first: 100, withPayload: true });
    expect(page.entries.map((entry) => [entry.tenantId, entry.entityId, entry.version, entry.terminal, entry.keys])).toEqual([
      ['alpha', 'n-1', 1, false, ['n-1']],
      ['alpha', 'n-1', 2, true, ['n-1', 'folder-9']],
    ]);
    expect(page.entries[1]?.payload).toEqual({ entityId: 'n-1', version: 2 });
    // n-3 is committed, and its signal sent, but it waits behind n-2's open transaction: the page says so.
    expect(page.heldBack).toBe(true);
    await open`commit`;
    open.release();
    const rest = await kit.stream.outbox.readFeed(kit.stream.db, { stream: 'note', after: page.endCursor, first: 100 });
    expect(rest.entries.map((entry) => entry.entityId)).toEqual(['n-2', 'n-3']);
    expect(rest.entries[0]?.payload).toBeNull();
    expect(rest.heldBack).toBe(false);
  });

  it('filters by tenant and by entity at the source', async () => {
    const bravo = await kit.stream.outbox.readFeed(kit.stream.db, { stream: 'note', after: origin, first: 100, tenantId: 'bravo' });
    expect(bravo.entries.map((entry) => entry.entityId)).toEqual(['n-3']);
    const entity = await kit.stream.outbox.readFeed(kit.stream.db, { stream: 'note', first: 100, entityId: 'n-1' });
    expect(entity.entries.map((entry) => entry.version)).toEqual([1, 2]);
  });

  it('answers the head of the stream without a cursor', async () => {
    const head = await kit.stream.outbox.readFeed(kit.stream.db, { stream: 'note', first: 1 });
    const all = await kit.stream.outbox.readFeed(kit.stream.db, { stream: 'note', after: origin, first: 100 });
    expect(head.entries).toEqual([]);
    expect(decodeEventCursor(head.endCursor, 'kit_outbox.note')).toEqual(decodeEventCursor(all.endCursor, 'kit_outbox.note'));
  });

  it('refuses unknown streams, bad page sizes and cursors of another stream with BAD_USER_INPUT', async () => {
    await expect(kit.stream.outbox.readFeed(kit.stream.db, { stream: 'nope', first: 1 })).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'stream' } });
    await expect(kit.stream.outbox.readFeed(kit.stream.db, { stream: 'note', first: 0 })).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'first' } });
    const foreign = encodeEventCursor({ stream: 'vms.vm', txid: '1', seq: 1 });
    await expect(kit.stream.outbox.readFeed(kit.stream.db, { stream: 'note', after: foreign, first: 1 })).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('prunes old events and answers RESYNC_REQUIRED for a cursor before the watermark', async () => {
    const before = await kit.stream.outbox.readFeed(kit.stream.db, { stream: 'note', after: origin, first: 100 });
    await kit.stream.db.execute(raw`update kit_outbox.note_events set created_at = now() - interval '2 days' where entity_id = 'n-1'`);
    const pruned = await kit.stream.outbox.prune(kit.stream.db, 86_400);
    expect(pruned).toEqual({ note: 2 });
    await expect(kit.stream.outbox.readFeed(kit.stream.db, { stream: 'note', after: origin, first: 100 })).rejects.toMatchObject({ extensions: { code: 'RESYNC_REQUIRED' } });
    const fromLastPruned = before.entries[1]?.cursor as string;
    const page = await kit.stream.outbox.readFeed(kit.stream.db, { stream: 'note', after: fromLastPruned, first: 100 });
    expect(page.entries.map((entry) => entry.entityId)).toEqual(['n-2', 'n-3']);
  });
});
