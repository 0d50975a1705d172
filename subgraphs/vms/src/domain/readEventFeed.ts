import { sql } from 'drizzle-orm';
import { appError, badInput } from '@novacron/errors';
import { compareEventPositions, decodeEventCursor, encodeEventCursor, type EventFeedEntry } from '@novacron/events';
import type { Database } from '../db/createDatabase.ts';
import { eventStreams, isEventStreamKey, terminalOperationStatuses } from './eventStreams.ts';
import { parseId } from './parseId.ts';


interface FeedRow extends Record<string, unknown> {
  seq: string | number;
  txid: string;
  tenant_id: string;
  entity_id: string;
  vm_id: string;
  version: number;
  type: string;
  provider: string | null;
  region: string | null;
  labels: Record<string, string> | null;
}

export const maxFeedPage = 1_000;

/** What to read from a feed. */
export interface EventFeedRequest {
  stream: string;
  after?: string | null;
  first: number;
  /** Only this VM's (vm stream) or operation's (operation stream) events. */
  entityId?: string | null;
}

/**
 * Reads a stream's events after a cursor, in (txid, seq) order (the xid8 column's order: the text
 * it is returned as would sort 1000 before 999), and only those written by
 * transactions older than every transaction still in flight: an event that commits late therefore
 * always comes after the cursor a reader holds, never behind it. Without `after`, returns no
 * entries and the stream's head, the place to start reading live events from; with `entityId` and
 * no `after`, that entity's events from its first one.
 */
export async function readEventFeed(db: Database, request: EventFeedRequest): Promise<{ entries: EventFeedEntry[]; endCursor: string }> {
  const { stream, first } = request;
  if (!isEventStreamKey(stream)) throw badInput('stream', `unknown event stream "${stream.slice(0, 40)}"`);
  if (!Number.isInteger(first) || first < 1 || first > maxFeedPage) throw badInput('first', `first must be between 1 and ${maxFeedPage}`);
  const { name, table } = eventStreams[stream];
  const events = sql.raw(`vms.${table}`);
  const entityId = request.entityId ? parseId('entityId', request.entityId) : null;
  let after = request.after;
  if (!after && entityId) after = encodeEventCursor({ stream: name, txid: '0', seq: 0 });
  if (!after) {
    const [head] = await db.execute<{ txid: string; seq: string | number }>(sql`
      select e.txid::text as txid, e.seq from ${events} e
      where e.txid < pg_snapshot_xmin(pg_current_snapshot())
      order by e.txid desc, e.seq desc limit 1`);
    return { entries: [], endCursor: encodeEventCursor({ stream: name, txid: head?.txid ?? '0', seq: Number(head?.seq ?? 0) }) };
  }
  const position = decodeEventCursor(after, name);
  if (!entityId) await assertNotPruned(db, stream, position);
  const entityCondition = entityId ? sql.raw(stream === 'vm' ? 'vm_id' : 'operation_id') : null;
  const onlyEntity = entityCondition ? sql`and e.${entityCondition} = ${entityId}` : sql``;
  const rows =
    stream === 'vm'
      ? await db.execute<FeedRow>(sql`
          select e.seq, e.txid::text as txid, e.tenant_id, e.vm_id as entity_id, e.vm_id, e.vm_version as version, e.type,
                 e.payload->>'provider' as provider, e.payload->>'region' as region, e.payload->'labels' as labels
          from vms.vm_events e
          where (e.txid, e.seq) > (${position.txid}::xid8, ${position.seq}) and e.txid < pg_snapshot_xmin(pg_current_snapshot()) ${onlyEntity}
          order by e.txid, e.seq limit ${first}`)
      : await db.execute<FeedRow>(sql`
          select e.seq, e.txid::text as txid, e.tenant_id, e.operation_id as entity_id, e.vm_id, e.operation_version as version, e.status as type,
                 null as provider, null as region, null as labels
          from vms.operation_events e
          where (e.txid, e.seq) > (${position.txid}::xid8, ${position.seq}) and e.txid < pg_snapshot_xmin(pg_current_snapshot()) ${onlyEntity}
          order by e.txid, e.seq limit ${first}`);
  const entries = rows.map((row) => ({
    cursor: encodeEventCursor({ stream: name, txid: row.txid, seq: Number(row.seq) }),
    tenantId: row.tenant_id,
    entityId: row.entity_id,
    vmId: row.vm_id,
    version: row.version,
    type: row.type,
    provider: row.provider,
    region: row.region,
    labels: row.labels,
    terminal: stream === 'operation' && terminalOperationStatuses.includes(row.type),
  }));
  return { entries, endCursor: entries.at(-1)?.cursor ?? after };
}

async function assertNotPruned(db: Database, stream: string, position: { txid: string; seq: number }): Promise<void> {
  const [watermark] = await db.execute<{ txid: string; seq: string | number }>(sql`
    select pruned_through_txid::text as txid, pruned_through_seq as seq from vms.event_retention where stream = ${stream}`);
  if (watermark && compareEventPositions(position, { txid: watermark.txid, seq: Number(watermark.seq) }) < 0) {
    throw appError('RESYNC_REQUIRED', 'the cursor is older than the event retention window; reload the state and subscribe again without `after`', {
      field: 'after',
    });
  }
}
