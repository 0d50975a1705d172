import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { drizzle } from 'drizzle-orm/postgres-js';
import { sql as drizzleSql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { createSql, type Sql } from '../src/index.ts';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager().enable();
let db: TestDatabase;
let sql: Sql;

beforeAll(async () => {
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(provider);
  db = await createTestDatabase();
  await db.sql`create table traced (id int primary key, secret text not null)`;
  sql = createSql(db.url, { max: 2, applicationName: 'novacron-trace-test' });
});
afterAll(async () => {
  await sql?.end({ timeout: 1 });
  await db?.drop();
  trace.disable();
  context.disable();
});
beforeEach(() => exporter.reset());

const parentSpan = <T>(work: () => Promise<T>) => trace.getTracer('test').startActiveSpan('parent', async (span) => {
  try {
    return await work();
  } finally {
    span.end();
  }
});
const finished = () => exporter.getFinishedSpans();
const sqlSpans = () => finished().filter((span) => span.attributes['db.system.name'] === 'postgresql');

describe('SQL spans of every pool', () => {
  it('makes a client span per query inside the active span, with the statement but not its values', async () => {
    await parentSpan(() => sql`insert into traced (id, secret) values (${1}, ${'hunter2'})`);
    const [span] = sqlSpans();
    const parent = finished().find((candidate) => candidate.name === 'parent');
    expect(span?.kind).toBe(SpanKind.CLIENT);
    expect(span?.parentSpanId).toBe(parent?.spanContext().spanId);
    expect(span?.spanContext().traceId).toBe(parent?.spanContext().traceId);
    expect(span?.name).toBe(`INSERT ${new URL(db.url).pathname.slice(1)}`);
    expect(span?.attributes).toMatchObject({
      'db.operation.name': 'INSERT',
      'db.namespace': new URL(db.url).pathname.slice(1),
      'server.address': new URL(db.url).hostname,
      'server.port': Number(new URL(db.url).port),
      'db.query.text': 'insert into traced (id, secret) values ($1, $2)',
    });
    expect(JSON.stringify(span?.attributes)).not.toContain('hunter2');
  });

  it('traces the queries drizzle makes, in and out of its transactions', async () => {
    const orm = drizzle(sql);
    await parentSpan(async () => {
      await orm.execute(drizzleSql`select secret from traced where id = ${1}`);
      await orm.transaction(async (tx) => {
        await tx.execute(drizzleSql`update traced set secret = ${'swordfish'} where id = ${1}`);
      });
    });
    const texts = sqlSpans().map((span) => span.attributes['db.query.text']);
    expect(texts).toEqual(['select secret from traced where id = $1', 'update traced set secret = $1 where id = $2']);
    expect(JSON.stringify(sqlSpans().map((span) => span.attributes))).not.toContain('swordfish');
  });

  it('traces a reserved connection and marks a failed query with its SQLSTATE', async () => {
    const reserved = await sql.reserve();
    try {
      await parentSpan(() => reserved`select * from missing_table`.catch(() => null));
    } finally {
      reserved.release();
    }
    const [span] = sqlSpans();
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes).toMatchObject({ 'db.response.status_code': '42P01', 'error.type': '42P01', 'db.operation.name': 'SELECT' });
    expect(span?.events.some((event) => event.name === 'exception')).toBe(true);
  });

  it('makes no span outside an active span, nor for fragments nested in a query', async () => {
    await sql`select 1`;
    expect(sqlSpans()).toHaveLength(0);
    await parentSpan(() => sql`select * from traced where ${sql`id = ${1}`}`);
    expect(sqlSpans()).toHaveLength(1);
  });

  it('keeps postgres.js helpers working through the wrapper', async () => {
    const rows = await parentSpan(() => sql<{ id: number }[]>`select id from traced where id in ${sql([1, 2])} and ${sql('secret')} is not null`);
    expect(rows.map((row) => row.id)).toEqual([1]);
    expect(sqlSpans()[0]?.attributes['db.query.text']).toBe('select id from traced where id in ($1,$2) and "secret" is not null');
  });
});
