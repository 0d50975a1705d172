import { createHash, randomBytes } from 'node:crypto';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateVmDocument, VmDocument, VmEventsDocument } from '@novacron/sdk';
import { scrapeMetrics, waitFor } from '@novacron/testing';
import {
  auditCount,
  createVmInput,
  databaseFingerprint,
  openRawGraphQLSocket,
  postGraphQL,
  startPlatform,
  type Platform,
  type RawGraphQLResponse,
} from '../src/index.ts';

// What the gateway refuses before any resolver runs: oversized, over-deep, over-aliased, too
// expensive or too frequent operations, batches, cross-site requests, and (in safelist mode) anything
// the SDK does not ship. "Before any resolver" is proven with mutations: a refused one writes no row
// and leaves no audit record, whereas any mutation that reaches the subgraph is audited.

const unknownId = '00000000-0000-4000-8000-000000000000';

/** `vm { operations { edges { node { vm { … } } } } }` nested `levels` times: four levels of depth each, cost 1 per level. */
function nestedVmSelection(levels: number): string {
  let selection = 'id';
  for (let level = 0; level < levels; level += 1) selection = `id operations(first: 1) { edges { node { id vm { ${selection} } } } }`;
  return selection;
}

const deepQuery = `query Deep { vm(id: "${unknownId}") { ${nestedVmSelection(6)} } }`;
const manyAliasesQuery = `query Aliases { ${Array.from({ length: 500 }, (_, index) => `a${index}: providers { name }`).join(' ')} }`;
const costlyQuery = 'query Costly { vms(first: 500) { edges { node { id operations(first: 500) { edges { node { id vm { id } } } } } } } }';
const manyTokensQuery = `query Tokens { providers { name ${'displayName '.repeat(6_000)} } }`;

const createMutation = (selection: string) => `mutation Create($input: CreateVMInput!) { createVM(input: $input) { ${selection} } }`;
/** Mutations that would create VMs if they ran, each over one limit. */
const limitBreakingMutations: [limit: string, query: string][] = [
  ['depth', createMutation(`vm { ${nestedVmSelection(6)} }`)],
  ['aliases', `mutation Aliases($input: CreateVMInput!) { ${Array.from({ length: 40 }, (_, index) => `v${index}: createVM(input: $input) { id }`).join(' ')} }`],
  ['cost', createMutation('vm { operations(first: 500) { edges { node { vm { operations(first: 500) { edges { node { id } } } } } } } }')],
  ['tokens', createMutation(`id ${'__typename '.repeat(6_000)}`)],
];

const codeOf = (response: RawGraphQLResponse) => response.body?.errors?.[0]?.extensions?.code;

/** Runs `send` and checks it left no row and no audit record behind. */
async function expectNothingWritten(platform: Platform, send: () => Promise<RawGraphQLResponse>): Promise<RawGraphQLResponse> {
  const before = await databaseFingerprint(platform.database.sql);
  const audits = await auditCount(platform.database.sql);
  const response = await send();
  expect(await databaseFingerprint(platform.database.sql)).toEqual(before);
  expect(await auditCount(platform.database.sql)).toBe(audits);
  return response;
}

describe('operation limits (development mode)', () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform({ workers: 0 });
  });
  afterAll(async () => {
    await platform?.stop();
  });
  const post = (payload: unknown, headers: Record<string, string> = {}) => postGraphQL(platform.gateway.url, payload, { token: platform.token, headers });

  it.each([
    ['a query nested too deeply', deepQuery, 'depth'],
    ['a query with 500 aliases', manyAliasesQuery, 'aliases'],
    ['a query that would fetch 250,000 rows', costlyQuery, 'cost'],
    ['a document of more than the token limit', manyTokensQuery, 'tokens'],
  ])('refuses %s with QUERY_TOO_COMPLEX (HTTP 400) naming the limit', async (_title, query, limit) => {
    const response = await post({ query });
    expect(response.status).toBe(400);
    expect(response.body?.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit });
    expect(response.body?.data ?? null).toBeNull();
  });

  it.each(limitBreakingMutations)('refuses a createVM over the %s limit before it runs: no row, no audit record', async (limit, query) => {
    const response = await expectNothingWritten(platform, () => post({ query, variables: { input: createVmInput() } }));
    expect(response.status).toBe(400);
    expect(response.body?.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit });
  });

  it('refuses a filter of 10,000 label selectors in the variables with a client error, not a server error', async () => {
    const labels = Array.from({ length: 10_000 }, (_, index) => ({ key: `k${index}`, value: 'v' }));
    const response = await post({ query: 'query Labels($labels: [LabelSelector!]) { vms(filter: { labels: $labels }) { totalCount } }', variables: { labels } });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(['BAD_USER_INPUT', 'QUERY_TOO_COMPLEX']).toContain(codeOf(response));
    expect(response.body?.data ?? null).toBeNull();
  });

  it('refuses a createVM whose variables hold 10,000 labels before it runs: no row, no audit record', async () => {
    const labels = Object.fromEntries(Array.from({ length: 10_000 }, (_, index) => [`key-${index}`, 'value']));
    const response = await expectNothingWritten(platform, () => post({ query: createMutation('id'), variables: { input: createVmInput({ labels }) } }));
    expect(response.status).toBeLessThan(500);
    expect(['BAD_USER_INPUT', 'QUERY_TOO_COMPLEX']).toContain(codeOf(response));
  });

  it('applies the alias limit to a query that selects nothing but __typename', async () => {
    const response = await post({ query: `query Typenames { ${Array.from({ length: 500 }, (_, index) => `a${index}: __typename`).join(' ')} }` });
    expect(response.status).toBe(400);
    expect(response.body?.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'aliases' });
  });

  it('refuses a body over GATEWAY_MAX_BODY_BYTES with HTTP 413, running nothing', async () => {
    const response = await expectNothingWritten(platform, () =>
      post({ query: createMutation('id'), variables: { input: createVmInput() }, extensions: { padding: 'x'.repeat(1_100_000) } }),
    );
    expect(response.status).toBe(413);
  });

  it('refuses an oversized body streamed without a content-length with HTTP 413, running nothing', async () => {
    const body = JSON.stringify({ query: createMutation('id'), variables: { input: createVmInput() }, extensions: { padding: 'x'.repeat(1_100_000) } });
    const response = await expectNothingWritten(platform, async () => {
      const chunks = [body.slice(0, 100), body.slice(100)];
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          const chunk = chunks.shift();
          if (chunk === undefined) controller.close();
          else controller.enqueue(new TextEncoder().encode(chunk));
        },
      });
      const sent = await fetch(platform.gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${platform.token}` },
        body: stream,
        duplex: 'half',
      } as RequestInit);
      return { status: sent.status, headers: sent.headers, body: null, text: await sent.text() };
    });
    expect(response.status).toBe(413);
  });

  it('refuses a batch (a JSON array) with HTTP 400, running none of it', async () => {
    const single = { query: createMutation('id'), variables: { input: createVmInput() } };
    const response = await expectNothingWritten(platform, () => post([single, single]));
    expect(response.status).toBe(400);
  });

  it.each([
    ['a GET without a preflight header', { method: 'GET' as const, headers: {} }],
    ['a POST of text/plain', { method: 'POST' as const, headers: { 'content-type': 'text/plain' } }],
    ['a POST of a form', { method: 'POST' as const, headers: { 'content-type': 'application/x-www-form-urlencoded' } }],
  ])('refuses %s as a possible cross-site request (HTTP 400), running nothing', async (_title, { method, headers }) => {
    const payload = { query: createMutation('id'), variables: { input: createVmInput() } };
    const url = method === 'GET' ? `${platform.gateway.url}?${new URLSearchParams({ query: payload.query, variables: JSON.stringify(payload.variables) })}` : platform.gateway.url;
    const response = await expectNothingWritten(platform, () => postGraphQL(url, payload, { method, token: platform.token, headers: { 'content-type': '', ...headers } }));
    expect(response.status).toBe(400);
    expect(response.text).toMatch(/preflight|CSRF/i);
  });

  it('serves a GET query that carries the apollo-require-preflight header, but never a mutation over GET', async () => {
    const query = await postGraphQL(`${platform.gateway.url}?query=${encodeURIComponent('{ providers { name } }')}`, null, {
      method: 'GET',
      token: platform.token,
      headers: { 'content-type': '', 'apollo-require-preflight': 'true' },
    });
    expect(query.status).toBe(200);
    expect(query.body?.data?.providers).toHaveLength(3);
    const mutation = await expectNothingWritten(platform, () =>
      postGraphQL(`${platform.gateway.url}?${new URLSearchParams({ query: createMutation('id'), variables: JSON.stringify({ input: createVmInput() }) })}`, null, {
        method: 'GET',
        token: platform.token,
        headers: { 'content-type': '', 'apollo-require-preflight': 'true' },
      }),
    );
    expect(mutation.status).toBe(405);
  });

  it('answers an unknown persisted-query hash with PERSISTED_QUERY_NOT_FOUND, then serves it once registered', async () => {
    const query = `query Persisted${randomBytes(4).toString('hex')} { providers { name } }`;
    const persistedQuery = { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') };
    const unknown = await post({ extensions: { persistedQuery } });
    expect(codeOf(unknown)).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(unknown.body?.data ?? null).toBeNull();
    const registered = await post({ query, extensions: { persistedQuery } });
    expect(registered.body?.data?.providers).toHaveLength(3);
    const byHash = await post({ extensions: { persistedQuery } });
    expect(byHash.body?.errors).toBeUndefined();
    expect(byHash.body?.data?.providers).toHaveLength(3);
  });

  it('refuses to register a persisted query under a hash that is not its own', async () => {
    const response = await post({ query: '{ providers { name } }', extensions: { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update('{ __typename }').digest('hex') } } });
    expect(response.status).toBe(400);
    expect(response.body?.data ?? null).toBeNull();
  });

  it('applies the limits to persisted queries too', async () => {
    const persistedQuery = { version: 1, sha256Hash: createHash('sha256').update(deepQuery).digest('hex') };
    const registering = await post({ query: deepQuery, extensions: { persistedQuery } });
    expect(registering.body?.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'depth' });
    const byHash = await post({ extensions: { persistedQuery } });
    expect(['QUERY_TOO_COMPLEX', 'PERSISTED_QUERY_NOT_FOUND']).toContain(codeOf(byHash));
    expect(byHash.body?.data ?? null).toBeNull();
  });

  it('reveals thresholds and suggests field names outside production (what production must not do)', async () => {
    const deep = await post({ query: deepQuery });
    expect(deep.body?.errors?.[0]?.message).toMatch(/\d/);
    const typo = await post({ query: '{ vmz { id } }' });
    expect(typo.body?.errors?.[0]?.message).toMatch(/Did you mean/);
  });
});

describe('operation limits in production mode', () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform({ production: true, workers: 0 });
  });
  afterAll(async () => {
    await platform?.stop();
  });
  const post = (payload: unknown) => postGraphQL(platform.gateway.url, payload, { token: platform.token });

  it.each([
    ['depth', deepQuery],
    ['aliases', manyAliasesQuery],
    ['cost', costlyQuery],
    ['tokens', manyTokensQuery],
  ])('refuses an operation over the %s limit without a single digit of the thresholds', async (limit, query) => {
    const response = await post({ query });
    expect(response.status).toBe(400);
    const [error] = response.body?.errors ?? [];
    expect(error?.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', limit });
    expect(error?.message).not.toMatch(/\d/);
  });

  it.each(limitBreakingMutations)('refuses a createVM over the %s limit, writing and auditing nothing', async (limit, query) => {
    const response = await expectNothingWritten(platform, () => post({ query, variables: { input: createVmInput() } }));
    expect(response.body?.errors?.[0]?.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', limit });
    expect(response.text).not.toMatch(/\d{2,}/);
  });

  it('refuses an oversized body without stating the limit', async () => {
    const response = await post({ query: '{ __typename }', extensions: { padding: 'x'.repeat(1_100_000) } });
    expect(response.status).toBe(413);
    expect(response.text).not.toMatch(/\d/);
  });

  it.each([
    ['__schema', '{ __schema { types { name } } }'],
    ['__type', '{ __type(name: "VM") { fields { name } } }'],
    ['__schema beside a field', '{ providers { name } __schema { queryType { name } } }'],
  ])('turns introspection off (%s)', async (_title, query) => {
    const response = await post({ query });
    expect(codeOf(response)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(response.body?.data ?? null).toBeNull();
    expect(response.text).not.toMatch(/"fields"|queryType"\s*:\s*\{/);
  });

  it.each([
    ['an unknown root field', '{ vmz { id } }'],
    ['an unknown nested field', '{ vms { edgez { cursor } } }'],
    ['an unknown argument', '{ vms(firts: 1) { totalCount } }'],
    ['an unknown enum value', '{ vms(filter: { status: [RUNNIN] }) { totalCount } }'],
    ['an unknown type in a variable', 'query ($f: VMFiltr) { vms(filter: $f) { totalCount } }'],
  ])('suggests no schema names for %s', async (_title, query) => {
    const response = await post({ query });
    expect(response.body?.errors?.length).toBeGreaterThan(0);
    expect(response.text).not.toMatch(/Did you mean/i);
  });

  it('suggests no enum values for a misspelt value in the variables', async () => {
    const response = await post({ query: 'query ($status: [VMStatus!]) { vms(filter: { status: $status }) { totalCount } }', variables: { status: ['RUNNIN'] } });
    expect(codeOf(response)).toBe('BAD_USER_INPUT');
    expect(response.text).not.toMatch(/Did you mean/i);
  });
});

describe('rate limit', () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform({ workers: 0, gatewayEnv: { RATE_LIMIT_POINTS: '5', RATE_LIMIT_WINDOW_SECONDS: '60' } });
  });
  afterAll(async () => {
    await platform?.stop();
  });

  it('refuses the sixth request of a tenant in the window with RATE_LIMITED (HTTP 429, Retry-After), before it runs', async () => {
    const token = await platform.tokenFor({ tenant: 'burst', role: 'admin' });
    const statuses: number[] = [];
    for (let request = 0; request < 5; request += 1) statuses.push((await postGraphQL(platform.gateway.url, { query: '{ providers { name } }' }, { token })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    const sixth = await expectNothingWritten(platform, () => postGraphQL(platform.gateway.url, { query: createMutation('id'), variables: { input: createVmInput() } }, { token }));
    expect(sixth.status).toBe(429);
    expect(Number(sixth.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const [error] = sixth.body?.errors ?? [];
    expect(error?.extensions?.code).toBe('RATE_LIMITED');
    expect(Number(error?.extensions?.retryAfterSeconds)).toBeGreaterThanOrEqual(1);
    expect(sixth.body?.data ?? null).toBeNull();
    expect((await scrapeMetrics(platform.gateway.metricsUrl)).sum('novacron_rate_limit_refusals_total')).toBe(1);
  });

  it("counts each tenant apart: another tenant is served while one is limited", async () => {
    const token = await platform.tokenFor({ tenant: 'burst', role: 'viewer' });
    expect((await postGraphQL(platform.gateway.url, { query: '{ providers { name } }' }, { token })).status).toBe(429);
    const other = await postGraphQL(platform.gateway.url, { query: '{ providers { name } }' }, { token: await platform.tokenFor({ tenant: 'calm', role: 'viewer' }) });
    expect(other.status).toBe(200);
    expect(other.body?.data?.providers).toHaveLength(3);
  });
});

describe('safelist mode', () => {
  let platform: Platform;
  beforeAll(async () => {
    platform = await startPlatform({ workers: 0, gatewayEnv: { SAFELIST: 'true' } });
  });
  afterAll(async () => {
    await platform?.stop();
  });
  const post = (payload: unknown) => postGraphQL(platform.gateway.url, payload, { token: platform.token });

  it('serves an operation the SDK ships, however it is formatted', async () => {
    const printed = print(VmDocument);
    for (const query of [printed, printed.replace(/\s+/g, ' '), `# a comment\n${printed}`]) {
      const response = await post({ query, variables: { id: unknownId } });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ data: { vm: null } });
    }
  });

  it('runs an SDK mutation', async () => {
    const response = await post({ query: print(CreateVmDocument), variables: { input: createVmInput() } });
    expect(response.body?.errors).toBeUndefined();
    expect(response.body?.data?.createVM).toMatchObject({ status: 'QUEUED' });
  });

  it.each([
    ['an arbitrary query', { query: '{ providers { name } }' }],
    ['an SDK query with one more field', { query: print(VmDocument).replace('publicIp', 'publicIp __typename'), variables: { id: unknownId } }],
    ['an arbitrary query sent as a persisted query', { query: '{ providers { name } }', extensions: { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update('{ providers { name } }').digest('hex') } } }],
  ])('refuses %s with FORBIDDEN (HTTP 403)', async (_title, payload) => {
    const response = await post(payload);
    expect(response.status).toBe(403);
    expect(response.body?.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'NOT_IN_SAFELIST' });
    expect(response.body?.data ?? null).toBeNull();
  });

  it('refuses a mutation the SDK does not ship before it runs: no row, no audit record', async () => {
    const response = await expectNothingWritten(platform, () => post({ query: 'mutation ($input: CreateVMInput!) { createVM(input: $input) { id } }', variables: { input: createVmInput() } }));
    expect(response.status).toBe(403);
    expect(codeOf(response)).toBe('FORBIDDEN');
  });

  it('refuses a subscription the SDK does not ship over graphql-ws, and accepts one it does and delivers its events', async () => {
    const raw = await openRawGraphQLSocket(platform.gateway.url);
    raw.send({ type: 'connection_init', payload: { authorization: `Bearer ${platform.token}` } });
    await raw.waitForMessage((message) => message.type === 'connection_ack');
    raw.send({ id: 'custom', type: 'subscribe', payload: { query: 'subscription { vmEvents { cursor } }' } });
    const refused = await raw.waitForMessage((message) => message.type === 'error' && message.id === 'custom');
    expect((refused.payload as { extensions?: { code?: string } }[])[0]?.extensions?.code).toBe('FORBIDDEN');
    const before = platform.gateway.subscriptions.engine.stats().subscribers;
    raw.send({ id: 'sdk', type: 'subscribe', payload: { query: print(VmEventsDocument), variables: {} } });
    await waitFor(() => platform.gateway.subscriptions.engine.stats().subscribers > before);
    expect(raw.messages.filter((message) => message.id === 'sdk' && message.type === 'error')).toEqual([]);
    // The payload query derived from the SDK subscription is not a client document: the safelist lets it run.
    const created = await post({ query: print(CreateVmDocument), variables: { input: createVmInput() } });
    const vmId = (created.body?.data?.createVM as { vm: { id: string } }).vm.id;
    const delivered = await raw.waitForMessage((message) => message.id === 'sdk' && message.type === 'next');
    expect(JSON.stringify(delivered.payload)).toContain(vmId);
    expect(raw.messages.filter((message) => message.id === 'sdk' && message.type === 'error')).toEqual([]);
    raw.socket.close();
  });
});
