import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { signDevelopmentToken } from '@novacron/auth';
import { responseMaxAgeHeader } from '@novacron/server-kit';
import type { RunningGateway } from '../src/server.ts';
import { createTestKeys, startTestGateway } from './support/testGateway.ts';

// The response cache answering before Apollo: a real gateway in front of a loopback vms subgraph that
// counts the fetches it serves and sends the reuse bound each test sets. A fetch that does not reach
// it was answered from the cache.

let subgraph: Server;
let fetches = 0;
let bound: string | null = null;
let keys: Awaited<ReturnType<typeof createTestKeys>>;
let gateway: RunningGateway;

const rateLimitPoints = 40;

beforeAll(async () => {
  subgraph = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      // The gateway's own fetches (its event tails' first reads) are answered too, but not counted.
      if (body.includes('providers')) fetches += 1;
      response.setHeader('content-type', 'application/json');
      if (bound !== null) response.setHeader(responseMaxAgeHeader, bound);
      response.end(JSON.stringify({ data: { providers: [{ name: `answer ${fetches}` }] } }));
    });
  });
  await new Promise<void>((resolve) => subgraph.listen(0, '127.0.0.1', resolve));
  keys = await createTestKeys();
  gateway = await startTestGateway(`http://127.0.0.1:${(subgraph.address() as AddressInfo).port}/graphql`, keys.keysDir, (base) => ({
    responseCache: { enabled: true, maxEntries: 1_000, maxAgeMs: 600_000 },
    limits: { ...base.limits, rateLimitPoints, rateLimitWindowSeconds: 600 },
  }));
});
afterAll(async () => {
  await gateway?.stop();
  subgraph?.closeAllConnections();
  await new Promise<void>((resolve) => subgraph?.close(() => resolve()));
  await keys?.remove();
});
beforeEach(() => {
  bound = null;
});

let tenants = 0;
/** A token of a tenant no other test uses (so each test has its own entries and rate budget). */
async function freshTenantToken(): Promise<string> {
  tenants += 1;
  return signDevelopmentToken({ keys: keys.keys, tenant: `cache-${tenants}`, roles: ['viewer'], subject: `viewer@cache-${tenants}`, ttlSeconds: 600 });
}

interface Answer {
  status: number;
  cache: string | null;
  body: { data?: { providers: { name: string }[] }; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

async function ask(token: string | null, extra: Record<string, unknown> = {}): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(gateway.url, { method: 'POST', headers, body: JSON.stringify({ query: 'query Providers { providers { name } }', ...extra }) });
  return { status: response.status, cache: response.headers.get('x-novacron-cache'), body: (await response.json()) as Answer['body'] };
}

async function metric(name: string): Promise<number> {
  const text = await (await fetch(gateway.metricsUrl)).text();
  const line = text.split('\n').find((row) => row.startsWith(name));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('answers from the response cache before Apollo', () => {
  it('serve a repeated query without fetching the subgraph, with the executed answer', async () => {
    const token = await freshTenantToken();
    const before = fetches;
    const first = await ask(token);
    expect(first.cache).toBe('miss');
    const second = await ask(token);
    expect(second).toEqual({ ...first, cache: 'hit' });
    expect(fetches).toBe(before + 1);
    // The operation name as posted is part of the key: the same document named explicitly is another entry.
    expect((await ask(token, { operationName: 'Providers' })).cache).toBe('miss');
    expect((await ask(token, { operationName: 'Providers' })).cache).toBe('hit');
    expect(fetches).toBe(before + 2);
    expect(gateway.stats().responseCache).toMatchObject({ hits: 2 });
  });

  it('still refuse a missing or invalid token on a cached query', async () => {
    const token = await freshTenantToken();
    await ask(token);
    expect((await ask(token)).cache).toBe('hit');
    const missing = await ask(null);
    expect(missing.status).toBe(401);
    expect(missing.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const forged = await ask(`${token.slice(0, -4)}AAAA`);
    expect(forged.status).toBe(401);
    expect(forged.body.data).toBeUndefined();
  });

  it('still charge the tenant’s rate limit, and refuse (and count) a request over it once', async () => {
    const token = await freshTenantToken();
    const refusedBefore = await metric('novacron_rate_limit_refusals_total');
    const answers: Answer[] = [];
    for (let index = 0; index <= rateLimitPoints; index += 1) answers.push(await ask(token));
    expect(answers.slice(0, rateLimitPoints).every((answer) => answer.status === 200)).toBe(true);
    expect(answers.slice(1, rateLimitPoints).every((answer) => answer.cache === 'hit')).toBe(true);
    const over = answers[rateLimitPoints]!;
    expect(over.status).toBe(429);
    expect(over.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(await metric('novacron_rate_limit_refusals_total')).toBe(refusedBefore + 1);
  });

  it('keep an answer no longer than the subgraph’s bound, and none it says not to reuse', async () => {
    const never = await freshTenantToken();
    bound = '0';
    const before = fetches;
    expect((await ask(never)).cache).toBe('miss');
    expect((await ask(never)).cache).toBe('miss');
    expect(fetches).toBe(before + 2);

    const briefly = await freshTenantToken();
    bound = '40';
    expect((await ask(briefly)).cache).toBe('miss');
    await new Promise((resolve) => setTimeout(resolve, 150));
    // The cache keeps entries ten minutes here: only the subgraph's 40 ms ended this one.
    const later = await ask(briefly);
    expect(later.cache).toBe('miss');
    expect(later.body.data?.providers[0]?.name).toBe(`answer ${fetches}`);

    const long = await freshTenantToken();
    bound = '600000';
    expect((await ask(long)).cache).toBe('miss');
    expect((await ask(long)).cache).toBe('hit');
  });
});
