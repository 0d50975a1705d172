/**
 * An event stream a subgraph keeps: an outbox table written in the same transaction as the change it
 * records, read in (txid, seq) order below the commit horizon. Kit-made streams use
 * {@link eventTable}; a subgraph with older tables maps its columns instead (the vms streams do).
 */
import { sql } from 'drizzle-orm';
import { bigint, bigserial, customType, index, integer, jsonb, text, timestamp, type PgSchema } from 'drizzle-orm/pg-core';

/** How to read one stream's table: SQL expressions over the table aliased `e`. */
export interface EventStream {
  /** The short name in its subgraph (`vm`); signalled and encoded in cursors as `<schema>.<key>`. */
  key: string;
  table: string;
  columns: {
    entityId: string;
    /** A `text[]` of the entity ids whose followers an event may concern. */
    keys: string;
    version: string;
    type: string;
    payload: string;
    /** The column `entityId` filters use (indexed). */
    entityColumn: string;
  };
  /** Event types after which the entity changes no more. */
  terminalTypes: readonly string[];
}

/** A stream over a kit-made table ({@link eventTable}); `columns` maps an older table's own. */
export function defineEventStream(options: { key: string; table: string; columns?: Partial<EventStream['columns']>; terminalTypes?: readonly string[] }): EventStream {
  if (!/^[a-z][a-z_]{0,30}$/.test(options.key)) throw new Error(`invalid stream key "${options.key}"`);
  if (!/^[a-z][a-z_]{0,62}$/.test(options.table)) throw new Error(`invalid stream table "${options.table}"`);
  return {
    key: options.key,
    table: options.table,
    columns: { entityId: 'e.entity_id', keys: 'e.keys', version: 'e.version', type: 'e.type', payload: 'e.payload', entityColumn: 'entity_id', ...options.columns },
    terminalTypes: options.terminalTypes ?? [],
  };
}

/**
 * PostgreSQL's 64-bit transaction id. Events record the id of the transaction that wrote them, so a
 * reader can tell which events are final (written by transactions older than every one in flight)
 * and never skip an event that commits late.
 */
export const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => 'xid8' });

/** The drizzle table of a kit-made stream, for a subgraph's db/schema.ts (drizzle-kit generates its migration). */
export function eventTable(schema: PgSchema, name: string) {
  return schema.table(
    name,
    {
      seq: bigserial('seq', { mode: 'number' }).primaryKey(),
      txid: xid8('txid').notNull().default(sql`pg_current_xact_id()`),
      tenantId: text('tenant_id').notNull(),
      entityId: text('entity_id').notNull(),
      keys: text('keys').array().notNull(),
      version: integer('version').notNull(),
      type: text('type').notNull(),
      payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
      createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    },
    (table) => [index(`${name}_entity_idx`).on(table.entityId, table.version), index(`${name}_order_idx`).on(table.txid, table.seq), index(`${name}_created_idx`).on(table.createdAt)],
  );
}

/** How far each stream of a subgraph has been pruned; a cursor before it can no longer be resumed. */
export function eventRetentionTable(schema: PgSchema) {
  return schema.table('event_retention', {
    stream: text('stream').primaryKey(),
    prunedThroughTxid: xid8('pruned_through_txid').notNull(),
    prunedThroughSeq: bigint('pruned_through_seq', { mode: 'number' }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  });
}
