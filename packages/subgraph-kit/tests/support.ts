import { afterAll, beforeAll } from 'vitest';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { createSql, type Sql } from '@novacron/db';
import { encodeEventCursor } from '@novacron/events';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { createOutbox, defineEventStream, type Outbox } from '../src/index.ts';

/** A throw-away schema with one kit-made stream (`note`), its retention table and follower cursors. */
export async function createStreamSchema(url: string, schema: string): Promise<{ sql: Sql; db: PostgresJsDatabase<Record<string, unknown>>; outbox: Outbox }> {
  const sql = createSql(url, { max: 5 });
  await sql.unsafe(`
    create schema ${schema};
    create table ${schema}.note_events (
      seq bigserial primary key, txid xid8 not null default pg_current_xact_id(), tenant_id text not null, entity_id text not null,
      keys text[] not null, version integer not null, type text not null, payload jsonb not null, created_at timestamptz(3) not null default now());
    create table ${schema}.event_retention (stream text primary key, pruned_through_txid xid8 not null, pruned_through_seq bigint not null, updated_at timestamptz(3) not null default now());
    create table ${schema}.stream_cursors (name text primary key, cursor text not null, updated_at timestamptz(3) not null default now());
  `);
  return { sql, db: drizzle(sql), outbox: createOutbox(schema, [defineEventStream({ key: 'note', table: 'note_events', terminalTypes: ['CLOSED'] })]) };
}

/** The cursor before the first event of `schema`'s `note` stream. */
export const noteOrigin = (schema: string): string => encodeEventCursor({ stream: `${schema}.note`, txid: '0', seq: 0 });

/** A test database with {@link createStreamSchema}'s `schema`, made before the file's tests and dropped after them. */
export function useStreamSchema(schema: string): { database: TestDatabase; stream: Awaited<ReturnType<typeof createStreamSchema>> } {
  const fixture = {} as { database: TestDatabase; stream: Awaited<ReturnType<typeof createStreamSchema>> };
  beforeAll(async () => {
    fixture.database = await createTestDatabase();
    fixture.stream = await createStreamSchema(fixture.database.url, schema);
  });
  afterAll(async () => {
    await fixture.stream?.sql.end();
    await fixture.database?.drop();
  });
  return fixture;
}
