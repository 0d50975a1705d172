import { sql } from 'drizzle-orm';
import { appError, badInput } from '@novacron/errors';
import { compareEventPositions, decodeEventCursor, encodeEventCursor, type EventPosition } from '@novacron/events';
import { createOutbox, defineEventStream, maxFeedPage, type Outbox, type OutboxFeedEntry, type SqlExecutor } from '@novacron/subgraph-kit';
import type { MetricKind } from '../db/schema.ts';
import type { Queryable } from './Queryable.ts';
import type { Sample } from './Sample.ts';

/**
 * Samples one `sample_events` row can hold. A feed position is `row seq × samplesPerEvent + index`
 * inside the row, so every sample keeps its own cursor (at most 2^53 / 10^6 ≈ 9·10^9 rows).
 */
export const samplesPerEvent = 1_000_000;

const streamKey = 'sample';
const streamName = `metrics.${streamKey}`;
const kitOutbox = createOutbox('metrics', [defineEventStream({ key: streamKey, table: 'sample_events' })]);

/** The payload of a `sample_events` row: the samples of one VM stored by one statement, in key order. */
interface SampleBatchPayload {
  vmId: string;
  kinds: MetricKind[];
  tMs: number[];
  values: number[];
}

/** A row written before samples were batched: one sample. */
interface SingleSamplePayload {
  vmId: string;
  kind: MetricKind;
  tMs: number;
  value: number;
}

type StoredPayload = SampleBatchPayload | SingleSamplePayload;

function samplesOf(payload: StoredPayload): Sample[] {
  if (!('kinds' in payload)) return [{ vmId: payload.vmId, kind: payload.kind, t: new Date(payload.tMs), value: payload.value }];
  return payload.kinds.map((kind, index) => ({ vmId: payload.vmId, kind, t: new Date(payload.tMs[index]!), value: payload.values[index]! }));
}

function countOf(payload: StoredPayload): number {
  return 'kinds' in payload ? payload.kinds.length : 1;
}

const position = (txid: string, rowSeq: number, index: number): EventPosition => ({ stream: streamName, txid, seq: rowSeq * samplesPerEvent + index });
const rowOf = (seq: number) => ({ rowSeq: Math.floor(seq / samplesPerEvent), index: seq % samplesPerEvent });

interface SampleRow {
  seq: string | number;
  txid: string;
  tenant_id: string;
  entity_id: string;
  keys: string[];
  occurred_at: string | Date;
  payload: StoredPayload;
}

/**
 * The metrics subgraph's event stream `sample` (the live `vmMetrics` feed), the kit's {@link Outbox}
 * contract with one difference in storage: `writeSamples` appends one row per VM and ingesting
 * statement carrying all that VM's samples (one row per sample was most of PostgreSQL's cost of an
 * OTLP export), and this feed hands each sample out as its own entry with its own cursor, so the
 * gateway's subscription engine, `after:` replay and the payload field see one event per sample as
 * before. Hand-rolled because the kit's outbox maps one row to one feed entry.
 */
export const metricsOutbox: Outbox = {
  schema: kitOutbox.schema,
  streams: kitOutbox.streams,
  decodeCursor: (key, cursor, field = 'cursor') => kitOutbox.decodeCursor(key, cursor, field),
  append: () => Promise.reject(new Error('sample events are written by writeSamples')),

  async readFeed(db, request) {
    if (request.stream !== streamKey) throw badInput('stream', `unknown event stream "${request.stream.slice(0, 40)}"`);
    const { first } = request;
    if (!Number.isInteger(first) || first < 1 || first > maxFeedPage) throw badInput('first', `first must be between 1 and ${maxFeedPage}`);
    let after = request.after;
    if (!after && request.entityId) after = encodeEventCursor(position('0', 0, 0));
    if (!after) {
      const [head] = await rows<{ txid: string; seq: string | number; payload: StoredPayload }>(
        db,
        sql`select e.txid::text as txid, e.seq, e.payload from metrics.sample_events e
            where e.txid < pg_snapshot_xmin(pg_current_snapshot()) order by e.txid desc, e.seq desc limit 1`,
      );
      return { entries: [], endCursor: encodeEventCursor(head ? position(head.txid, Number(head.seq), countOf(head.payload) - 1) : position('0', 0, 0)) };
    }
    const from = decodeEventCursor(after, streamName);
    if (!request.entityId) await assertNotPruned(db, from);
    const { rowSeq, index: fromIndex } = rowOf(from.seq);
    const onlyEntity = request.entityId ? sql`and e.entity_id = ${request.entityId}` : sql``;
    const onlyTenant = request.tenantId ? sql`and e.tenant_id = ${request.tenantId}` : sql``;
    const entries: OutboxFeedEntry[] = [];
    // Rows are read a few at a time, more each round: a row can hold thousands of samples, and a page
    // of `first` entries should not fetch and parse `first` rows. The first row may be read up to its
    // last sample already (then it yields nothing).
    let next = { txid: from.txid, seq: rowSeq, inclusive: true };
    for (let limit = Math.min(4, first + 1); entries.length < first; limit = Math.min(limit * 4, first + 1)) {
      const found = await rows<SampleRow>(
        db,
        sql`select e.seq, e.txid::text as txid, e.tenant_id, e.entity_id, e.keys, e.created_at as occurred_at, e.payload
            from metrics.sample_events e
            where (e.txid, e.seq) ${sql.raw(next.inclusive ? '>=' : '>')} (${next.txid}::xid8, ${next.seq})
              and e.txid < pg_snapshot_xmin(pg_current_snapshot()) ${onlyEntity} ${onlyTenant}
            order by e.txid, e.seq limit ${limit}`,
      );
      for (const row of found) {
        const seq = Number(row.seq);
        const occurredAt = new Date(row.occurred_at).toISOString();
        const samples = samplesOf(row.payload);
        const start = row.txid === from.txid && seq === rowSeq ? fromIndex + 1 : 0;
        for (let index = start; index < samples.length && entries.length < first; index++) {
          const sample = samples[index]!;
          const tMs = sample.t.getTime();
          entries.push({
            cursor: encodeEventCursor(position(row.txid, seq, index)),
            tenantId: row.tenant_id,
            entityId: row.entity_id,
            keys: row.keys,
            version: Math.floor(tMs / 60_000),
            type: sample.kind,
            terminal: false,
            occurredAt,
            payload: request.withPayload ? { vmId: sample.vmId, kind: sample.kind, tMs, value: sample.value } : null,
          });
        }
        if (entries.length >= first) break;
      }
      const last = found.at(-1);
      if (found.length < limit || !last) break;
      next = { txid: last.txid, seq: Number(last.seq), inclusive: false };
    }
    return { entries, endCursor: entries.at(-1)?.cursor ?? after };
  },

  async prune(db, retentionSeconds) {
    const deleted = await db.transaction(async (tx) => {
      const gone = await rows<{ txid: string; seq: string | number; count: number }>(
        tx,
        sql`delete from metrics.sample_events
            where created_at < now() - make_interval(secs => ${retentionSeconds}) and txid < pg_snapshot_xmin(pg_current_snapshot())
            returning txid::text as txid, seq, coalesce(jsonb_array_length(payload->'kinds'), 1) as count`,
      );
      if (gone.length === 0) return 0;
      // The watermark is the last pruned sample's feed position.
      const last = gone
        .map((row) => position(row.txid, Number(row.seq), row.count - 1))
        .reduce((latest, next) => (compareEventPositions(next, latest) > 0 ? next : latest));
      await tx.execute(sql`
        insert into metrics.event_retention (stream, pruned_through_txid, pruned_through_seq, updated_at)
        values (${streamKey}, ${last.txid}::xid8, ${last.seq}, now())
        on conflict (stream) do update set
          pruned_through_txid = excluded.pruned_through_txid, pruned_through_seq = excluded.pruned_through_seq, updated_at = now()
        where (metrics.event_retention.pruned_through_txid, metrics.event_retention.pruned_through_seq) < (excluded.pruned_through_txid, excluded.pruned_through_seq)`);
      return gone.length;
    });
    return { [streamKey]: deleted };
  },
};

async function rows<T>(db: SqlExecutor, query: ReturnType<typeof sql>): Promise<T[]> {
  return (await db.execute(query)) as T[];
}

async function assertNotPruned(db: SqlExecutor, from: EventPosition): Promise<void> {
  const [watermark] = await rows<{ txid: string; seq: string | number }>(
    db,
    sql`select pruned_through_txid::text as txid, pruned_through_seq as seq from metrics.event_retention where stream = ${streamKey}`,
  );
  if (watermark && compareEventPositions(from, { txid: watermark.txid, seq: Number(watermark.seq) }) < 0) {
    throw appError('RESYNC_REQUIRED', 'the cursor is older than the event retention window; reload the state and subscribe again without `after`', { field: 'after' });
  }
}

/** A stored sample event, as `vmMetricsAt` reads it. */
export interface SampleEvent {
  tenantId: string;
  sample: Sample;
}

/** The sample event at a stream cursor, or null (pruned, or never existed). */
export async function findSampleEvent(sql: Queryable, cursor: string): Promise<SampleEvent | null> {
  const { txid, seq } = metricsOutbox.decodeCursor(streamKey, cursor, 'cursor');
  const { rowSeq, index } = rowOf(seq);
  const [row] = await sql<{ tenant_id: string; payload: StoredPayload }[]>`
    select tenant_id, payload from metrics.sample_events where seq = ${rowSeq} and txid = ${txid}::xid8`;
  const sample = row ? samplesOf(row.payload)[index] : undefined;
  return row && sample ? { tenantId: row.tenant_id, sample } : null;
}
