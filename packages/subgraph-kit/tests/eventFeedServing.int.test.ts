import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { internalTokenHeader } from '@novacron/auth';
import { createFeedFetcher, encodeEventCursor, eventFeedQuery } from '@novacron/events';
import { createLogger } from '@novacron/server-kit';
import { captureStatements, createTestDatabase, scrapeMetrics, type StatementCapture, type TestDatabase } from '@novacron/testing';
import { startSubgraph, type RequestPrincipal, type RunningSubgraph } from '../src/index.ts';
import { outboxOnlyTypeDefs, testSubgraphConfig } from '../src/testConfig.ts';
import { createStreamSchema, noteOrigin } from './support.ts';

const name = 'kitfeed';
const schema = 'kit_serve';
const origin = noteOrigin(schema);

let database: TestDatabase;
let stream: Awaited<ReturnType<typeof createStreamSchema>>;
let keysDir: string;
let subgraph: RunningSubgraph<{ db: PostgresJsDatabase<Record<string, unknown>> }>;
let statements: StatementCapture;

beforeAll(async () => {
  statements = captureStatements();
  database = await createTestDatabase();
  stream = await createStreamSchema(database.url, schema);
  keysDir = await mkdtemp(join(tmpdir(), 'kit-feed-keys-'));
  subgraph = await startSubgraph<{ db: PostgresJsDatabase<Record<string, unknown>> }, RequestPrincipal>({
    config: testSubgraphConfig(name, database.url, keysDir),
    logger: createLogger(name, 'silent'),
    typeDefs: outboxOnlyTypeDefs,
    resolvers: { Query: { ping: () => 'pong' } },
    services: ({ sql }) => ({ db: drizzle(sql) }),
    context: (request) => request,
    outbox: { outbox: stream.outbox, db: (services) => services.db, prune: false },
  });
  await stream.db.transaction(async (tx) => {
    await stream.outbox.append(tx, 'note', { tenantId: 'alpha', entityId: 'n-1', version: 1, type: 'WRITTEN', payload: { text: 'one', nested: { list: [1, 'two', null] } } });
    await stream.outbox.append(tx, 'note', { tenantId: 'alpha', entityId: 'n-1', keys: ['n-1', 'folder-1'], version: 2, type: 'CLOSED', payload: { text: 'done' } });
  });
  await stream.db.transaction((tx) => stream.outbox.append(tx, 'note', { tenantId: 'bravo', entityId: 'n-2', version: 1, type: 'WRITTEN', payload: { text: 'é ✓ "quoted"' } }));
});
afterAll(async () => {
  await subgraph?.stop();
  await stream?.sql.end();
  await database?.drop();
  statements?.stop();
  if (keysDir) await rm(keysDir, { recursive: true, force: true });
});

const systemToken = () => subgraph.kit.security.signFor(name)({ system: true, subject: 'test/feed-reader' });
const userToken = () => subgraph.kit.security.signFor(name)({ subject: 'user-1', tenantId: 'alpha', roles: ['viewer', 'operator', 'admin'], expiresAt: new Date(Date.now() + 60_000) });

/** Posts a document as a feed reader does; `traceparent` lets a test read the statements it ran. */
async function post(query: string, variables: Record<string, unknown>, token: string | null, headers: Record<string, string> = {}) {
  const response = await fetch(subgraph.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { [internalTokenHeader]: token } : {}), ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, contentType: response.headers.get('content-type'), body: await response.text() };
}

// The same document with one more trailing newline: not the text the early answer knows, so Apollo
// Server executes it with graphql-js. The two answers must not differ by a byte.
const throughApollo = `${eventFeedQuery}\n`;

const reads: [string, Record<string, unknown>][] = [
  ['a page with payloads, held back nothing', { stream: 'note', after: origin, first: 100, withPayload: true }],
  ['a page without payloads, omitted variables taking their defaults', { stream: 'note', after: origin }],
  ['a full page', { stream: 'note', after: origin, first: 2, entityId: null, tenantId: null, withPayload: true }],
  ["one tenant's events", { stream: 'note', after: origin, first: 10, tenantId: 'bravo', withPayload: true }],
  ["one entity's events from its first", { stream: 'note', first: 10, entityId: 'n-1', withPayload: false }],
  ['the head of the stream', { stream: 'note', after: null, first: 1 }],
];

describe('serving _eventFeed', () => {
  it.each(reads)('answers %s byte for byte as Apollo Server does', async (_title, variables) => {
    const token = await systemToken();
    const early = await post(eventFeedQuery, variables, token);
    const apollo = await post(throughApollo, variables, token);
    expect(early.status).toBe(200);
    expect(JSON.parse(early.body).data._eventFeed.endCursor).toEqual(expect.any(String));
    expect(early).toEqual(apollo);
  });

  it('answers the posted feed document with one SQL statement per page, Apollo not parsing it', async () => {
    const token = await systemToken();
    const early = statements.newTrace();
    const page = await post(eventFeedQuery, { stream: 'note', after: origin, first: 100, withPayload: true }, token, { traceparent: early.traceparent });
    expect(JSON.parse(page.body).data._eventFeed.entries).toHaveLength(3);
    expect(statements.statementsOf(early.traceId)).toHaveLength(1);
    // The same read through Apollo: the resolver reads through the same single statement.
    const apollo = statements.newTrace();
    await post(throughApollo, { stream: 'note', after: origin, first: 100, withPayload: true }, token, { traceparent: apollo.traceparent });
    expect(statements.statementsOf(apollo.traceId)).toHaveLength(1);
  });

  it('answers the feed document before Apollo Server, which still serves any other document', async () => {
    const token = await systemToken();
    const executed = async () => (await scrapeMetrics(subgraph.metricsUrl)).sum('novacron_graphql_request_duration_seconds_count', { operation_name: 'NovaCronEventFeed' });
    const before = await executed();
    await post(eventFeedQuery, { stream: 'note', after: origin, first: 10 }, token);
    expect(await executed()).toBe(before);
    await post(throughApollo, { stream: 'note', after: origin, first: 10 }, token);
    expect(await executed()).toBe(before + 1);
  });

  it('serves what createFeedFetcher reads, cursors decoded', async () => {
    const feed = createFeedFetcher(schema, subgraph.url, async () => ({ [internalTokenHeader]: await systemToken() }));
    const page = await feed({ stream: 'note', after: origin, first: 100, withPayload: true });
    expect(page.entries.map((entry) => [entry.entityId, entry.version, entry.terminal, entry.keys])).toEqual([
      ['n-1', 1, false, ['n-1']],
      ['n-1', 2, true, ['n-1', 'folder-1']],
      ['n-2', 1, false, ['n-2']],
    ]);
    expect(page.entries[0]?.payload).toEqual({ text: 'one', nested: { list: [1, 'two', null] } });
    expect(page.entries[2]?.position.seq).toBeGreaterThan(page.entries[1]?.position.seq ?? Infinity);
    expect(page.heldBack).toBe(false);
  });

  it('refuses a caller that is not NovaCron itself: FORBIDDEN for a user, UNAUTHENTICATED without a token, as Apollo does', async () => {
    const variables = { stream: 'note', after: origin, first: 10, withPayload: true };
    const asUser = await post(eventFeedQuery, variables, await userToken());
    expect(JSON.parse(asUser.body)).toMatchObject({ data: null, errors: [{ path: ['_eventFeed'], extensions: { code: 'FORBIDDEN' } }] });
    expect(asUser.body).not.toContain('n-1');
    const anonymous = await post(eventFeedQuery, variables, null);
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.body).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(anonymous.body).not.toContain('n-1');
    const forged = await post(eventFeedQuery, variables, 'not-a-token');
    expect(forged.status).toBe(401);
  });

  it.each([
    ['an unknown stream', { stream: 'nope', after: origin, first: 10 }, 'BAD_USER_INPUT', 'stream'],
    ['a page size out of range', { stream: 'note', after: origin, first: 0 }, 'BAD_USER_INPUT', 'first'],
    ["another stream's cursor", { stream: 'note', after: encodeEventCursor({ stream: 'vms.vm', txid: '1', seq: 1 }), first: 10 }, 'BAD_USER_INPUT', 'after'],
  ])('refuses %s with the same error as Apollo Server', async (_title, variables, code, field) => {
    const token = await systemToken();
    const early = await post(eventFeedQuery, variables, token);
    const apollo = await post(throughApollo, variables, token);
    const [error] = JSON.parse(early.body).errors;
    expect(error).toMatchObject({ path: ['_eventFeed'], extensions: { code, field } });
    expect(early.status).toBe(apollo.status);
    expect(withoutStack(early.body)).toEqual(withoutStack(apollo.body));
  });

  it('leaves variables graphql-js would refuse to Apollo Server', async () => {
    const token = await systemToken();
    const notAnInt = await post(eventFeedQuery, { stream: 'note', after: origin, first: 2.5 }, token);
    expect(JSON.parse(notAnInt.body).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const missingStream = await post(eventFeedQuery, { after: origin }, token);
    expect(JSON.parse(missingStream.body).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const nul = await post(eventFeedQuery, { stream: 'note', after: origin, tenantId: 'a\u0000b' }, token);
    expect(JSON.parse(nul.body).errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('answers RESYNC_REQUIRED for a pruned cursor as Apollo Server does', async () => {
    const token = await systemToken();
    const [last] = await stream.sql<{ txid: string; seq: string }[]>`select txid::text as txid, seq::text as seq from kit_serve.note_events order by txid desc, seq desc limit 1`;
    await stream.sql`insert into kit_serve.event_retention (stream, pruned_through_txid, pruned_through_seq) values ('note', ${last!.txid}::xid8, ${last!.seq})`;
    try {
      const early = await post(eventFeedQuery, { stream: 'note', after: origin, first: 10 }, token);
      const apollo = await post(throughApollo, { stream: 'note', after: origin, first: 10 }, token);
      expect(JSON.parse(early.body).errors[0]).toMatchObject({ path: ['_eventFeed'], extensions: { code: 'RESYNC_REQUIRED', field: 'after' } });
      expect(withoutStack(early.body)).toEqual(withoutStack(apollo.body));
    } finally {
      await stream.sql`delete from kit_serve.event_retention`;
    }
  });
});

/** A development answer's error carries a stack trace, which differs between two requests. */
function withoutStack(body: string): unknown {
  const parsed = JSON.parse(body) as { errors?: { extensions?: Record<string, unknown> }[] };
  for (const error of parsed.errors ?? []) delete error.extensions?.stacktrace;
  return parsed;
}
