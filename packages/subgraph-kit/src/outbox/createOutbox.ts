import { sql } from 'drizzle-orm';
import { appError, badInput } from '@novacron/errors';
import { compareEventPositions, decodeEventCursor, encodeEventCursor, postgresEventChannel, type EventFeedEntry, type EventPosition } from '@novacron/events';
import type { EventStream } from './EventStream.ts';
import { queryRows, queryStatement, type SqlExecutor } from './SqlExecutor.ts';

/** One entry of a feed, as `_eventFeed` returns it (the contract in @novacron/events). */
export type FeedEntry = EventFeedEntry;

/** What to read from a feed. */
export interface FeedRequest {
  stream: string;
  after?: string | null;
  first: number;
  /** Only this entity's events (from its first one when `after` is omitted). */
  entityId?: string | null;
  /** Only this tenant's events. */
  tenantId?: string | null;
  withPayload?: boolean;
}

/** An event to append in the changing transaction. */
export interface NewEvent {
  tenantId: string;
  entityId: string;
  /** Entity ids whose followers this event concerns; defaults to the entity alone. */
  keys?: string[];
  version: number;
  type: string;
  payload: Record<string, unknown>;
}

/** A subgraph's event streams: feed reads, appends, pruning. */
export interface Outbox {
  readonly schema: string;
  readonly streams: ReadonlyMap<string, EventStream>;
  /** Events after a cursor in (txid, seq) order, only those below the commit horizon. */
  readFeed(db: SqlExecutor, request: FeedRequest): Promise<{ entries: FeedEntry[]; endCursor: string; heldBack?: boolean }>;
  /** Writes an event of a kit-made stream and signals it at commit; call inside the changing transaction. */
  append(tx: SqlExecutor, stream: string, event: NewEvent): Promise<void>;
  /** Deletes events older than the retention window, recording a watermark per stream. */
  prune(db: SqlExecutor & { transaction<T>(run: (tx: SqlExecutor) => Promise<T>): Promise<T> }, retentionSeconds: number): Promise<Record<string, number>>;
  /** The cursor of a stream's event (for payload fields that look an event up by cursor). */
  decodeCursor(stream: string, cursor: string, field?: string): EventPosition;
}

export const maxFeedPage = 1_000;

/** A row of a page statement: an entry (all null when the page is empty) and the page's state. */
interface FeedPageRow {
  seq: string | number | null;
  txid: string;
  tenant_id: string;
  entity_id: string;
  keys: string[];
  version: number;
  type: string;
  occurred_at: string | Date;
  payload: Record<string, unknown> | null;
  resync: boolean;
  held: boolean;
}

const identifierPattern = /^[a-z][a-z0-9_]{0,62}$/;

/** The rows in (txid, seq) order: as the page's index scan returns them, sorted only if not. */
function inFeedOrder(rows: FeedPageRow[]): FeedPageRow[] {
  // txids are decimal without leading zeros: the shorter is the smaller (no BigInt per row).
  const compare = (a: FeedPageRow, b: FeedPageRow) => a.txid.length - b.txid.length || (a.txid < b.txid ? -1 : a.txid > b.txid ? 1 : 0) || Number(a.seq) - Number(b.seq);
  for (let index = 1; index < rows.length; index += 1) {
    if (compare(rows[index - 1]!, rows[index]!) > 0) return [...rows].sort(compare);
  }
  return rows;
}

/**
 * The outbox of a subgraph's Postgres `schema` (which must hold an `event_retention` table, see
 * {@link eventRetentionTable}). Reads only events written by transactions older than every one still
 * in flight, so an event that commits late always comes after a reader's cursor, never behind it.
 */
export function createOutbox(schema: string, streams: readonly EventStream[]): Outbox {
  if (!identifierPattern.test(schema)) throw new Error(`invalid schema name "${schema}"`);
  const byKey = new Map(streams.map((stream) => [stream.key, stream]));
  const streamOf = (key: string): EventStream => {
    const stream = byKey.get(key);
    if (!stream) throw badInput('stream', `unknown event stream "${key.slice(0, 40)}"`);
    return stream;
  };
  const nameOf = (stream: EventStream) => `${schema}.${stream.key}`;
  const retention = sql.raw(`"${schema}"."event_retention"`);

  /**
   * One page in one statement (the watermark check, the page and `heldBack` used to be three, and a
   * feed is read by several followers at every event): the page's rows, each carrying `resync` and
   * `held`, or a single row of nulls with them when the page is empty (`held` counts only when the
   * page is not full). Its text depends only on the stream and which filters are set, so it is built
   * once per shape and runs prepared. Parameters: $1 txid, $2 seq (the cursor), $3 first, then the
   * stream key (watermark check), entity id, tenant id.
   *
   * - `resync`: the cursor is older than the stream's prune watermark (not checked for an entity's
   *   read, which starts at the origin and is filtered by an indexed column).
   * - `held`: the page is not full yet committed events wait behind an older transaction still in
   *   flight (above the commit horizon). Their signal has already been sent, so the reader must know
   *   to read again soon rather than wait for the next one. Every event at or above the horizon comes
   *   after every page row, so when the page is not full "an event after the page's end" is "an
   *   event after the cursor at or above the horizon"; the statement's one snapshot serves both parts.
   */
  const pageStatements = new Map<string, string>();
  const pageStatement = (stream: EventStream, request: FeedRequest, position: EventPosition): { text: string; params: unknown[] } => {
    const params: unknown[] = [position.txid, position.seq, request.first];
    const checkResync = !request.entityId;
    if (checkResync) params.push(stream.key);
    const entityAt = request.entityId ? params.push(request.entityId) : 0;
    const tenantAt = request.tenantId ? params.push(request.tenantId) : 0;
    const shape = `${stream.key}|${entityAt}|${tenantAt}|${request.withPayload ? 1 : 0}`;
    let text = pageStatements.get(shape);
    if (!text) {
      const c = stream.columns;
      const table = `"${schema}"."${stream.table}"`;
      const filters = `${entityAt ? `and e.${c.entityColumn}::text = $${entityAt}` : ''} ${tenantAt ? `and e.tenant_id = $${tenantAt}` : ''}`;
      const resync = checkResync
        ? `exists (select 1 from "${schema}"."event_retention" r where r.stream = $4 and (r.pruned_through_txid, r.pruned_through_seq) > ($1::xid8, $2::bigint))`
        : 'false';
      // No CTE and no outer sort: the page is read once, straight off the (txid, seq) index; readFeed
      // checks the order it receives (a sort over 500 rows and their payloads cost more than the rest).
      text = `select p.seq, p.txid::text as txid, p.tenant_id, p.entity_id, p.keys, p.version, p.type, p.occurred_at, p.payload, s.resync, s.held
        from (
          select ${resync} as resync,
                 exists (select 1 from ${table} e where (e.txid, e.seq) > ($1::xid8, $2::bigint) and e.txid >= pg_snapshot_xmin(pg_current_snapshot()) ${filters}) as held
        ) s
        left join (
          select e.seq, e.txid, e.tenant_id, (${c.entityId})::text as entity_id, ${c.keys} as keys, ${c.version} as version, ${c.type} as type,
                 e.created_at as occurred_at, ${request.withPayload ? c.payload : 'null::jsonb'} as payload
          from ${table} e
          where (e.txid, e.seq) > ($1::xid8, $2::bigint) and e.txid < pg_snapshot_xmin(pg_current_snapshot()) ${filters}
          order by e.txid, e.seq limit $3::int
        ) p on true`;
      pageStatements.set(shape, text);
    }
    return { text, params };
  };

  return {
    schema,
    streams: byKey,
    decodeCursor: (key, cursor, field = 'cursor') => decodeEventCursor(cursor, nameOf(streamOf(key)), field),

    async readFeed(db, request) {
      const stream = streamOf(request.stream);
      const { first } = request;
      if (!Number.isInteger(first) || first < 1 || first > maxFeedPage) throw badInput('first', `first must be between 1 and ${maxFeedPage}`);
      const name = nameOf(stream);
      let after = request.after;
      if (!after && request.entityId) after = encodeEventCursor({ stream: name, txid: '0', seq: 0 });
      if (!after) {
        const [head] = await queryStatement<{ txid: string; seq: string | number }>(
          db,
          `select e.txid::text as txid, e.seq from "${schema}"."${stream.table}" e where e.txid < pg_snapshot_xmin(pg_current_snapshot()) order by e.txid desc, e.seq desc limit 1`,
          [],
        );
        return { entries: [], endCursor: encodeEventCursor({ stream: name, txid: head?.txid ?? '0', seq: Number(head?.seq ?? 0) }) };
      }
      const position = decodeEventCursor(after, name);
      const page = pageStatement(stream, request, position);
      const rows = await queryStatement<FeedPageRow>(db, page.text, page.params);
      if (rows[0]?.resync) {
        throw appError('RESYNC_REQUIRED', 'the cursor is older than the event retention window; reload the state and subscribe again without `after`', { field: 'after' });
      }
      const entries: FeedEntry[] = [];
      for (const row of inFeedOrder(rows)) {
        if (row.seq === null) continue;
        entries.push({
          cursor: encodeEventCursor({ stream: name, txid: row.txid, seq: Number(row.seq) }),
          tenantId: row.tenant_id,
          entityId: row.entity_id,
          keys: row.keys,
          version: row.version,
          type: row.type,
          terminal: stream.terminalTypes.includes(row.type),
          occurredAt: new Date(row.occurred_at).toISOString(),
          payload: row.payload,
        });
      }
      // A full page is read again at once anyway: it holds nothing back.
      return { entries, endCursor: entries.at(-1)?.cursor ?? after, heldBack: entries.length < first && Boolean(rows[0]?.held) };
    },

    async append(tx, key, event) {
      const stream = streamOf(key);
      const table = sql.raw(`"${schema}"."${stream.table}"`);
      const keys = event.keys ?? [event.entityId];
      await tx.execute(sql`
        insert into ${table} (tenant_id, entity_id, keys, version, type, payload)
        values (${event.tenantId}, ${event.entityId}, array[${sql.join(keys.map((key) => sql`${key}`), sql`, `)}]::text[], ${event.version}, ${event.type}, ${JSON.stringify(event.payload)}::jsonb)`);
      // NOTIFY is delivered at commit, and identical payloads in one transaction fold into one.
      await tx.execute(sql`select pg_notify(${postgresEventChannel}, ${nameOf(stream)})`);
    },

    async prune(db, retentionSeconds) {
      const result: Record<string, number> = {};
      for (const stream of byKey.values()) {
        const table = sql.raw(`"${schema}"."${stream.table}"`);
        result[stream.key] = await db.transaction(async (tx) => {
          const deleted = await queryRows<{ txid: string; seq: string | number }>(
            tx,
            sql`delete from ${table}
                where created_at < now() - make_interval(secs => ${retentionSeconds}) and txid < pg_snapshot_xmin(pg_current_snapshot())
                returning txid::text as txid, seq`,
          );
          if (deleted.length === 0) return 0;
          const last = deleted
            .map((row) => ({ txid: row.txid, seq: Number(row.seq) }))
            .reduce((latest, position) => (compareEventPositions(position, latest) > 0 ? position : latest));
          await tx.execute(sql`
            insert into ${retention} (stream, pruned_through_txid, pruned_through_seq, updated_at)
            values (${stream.key}, ${last.txid}::xid8, ${last.seq}, now())
            on conflict (stream) do update set
              pruned_through_txid = excluded.pruned_through_txid,
              pruned_through_seq = excluded.pruned_through_seq,
              updated_at = now()
            where (${retention}.pruned_through_txid, ${retention}.pruned_through_seq) < (excluded.pruned_through_txid, excluded.pruned_through_seq)`);
          return deleted.length;
        });
      }
      return result;
    },
  };
}
