import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signDevelopmentToken } from '@novacron/auth';
import type { RunningGateway } from '../src/server.ts';
import { createTestKeys, startTestGateway } from './support/testGateway.ts';

// A vms subgraph stand-in whose health the test switches: while "down" it answers 503, while "up"
// it answers `providers`. It counts the fetches that reach it, to prove an open circuit sends none.
let subgraph: Server;
let healthy = false;
let received = 0;
let keys: Awaited<ReturnType<typeof createTestKeys>>;
let token: string;
let gateway: RunningGateway;

beforeAll(async () => {
  subgraph = createServer((request, response) => {
    received += 1;
    request.resume();
    request.on('end', () => {
      if (!healthy) {
        response.writeHead(503).end('down for maintenance');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { providers: [{ name: 'aws' }] } }));
    });
  });
  await new Promise<void>((resolve) => subgraph.listen(0, '127.0.0.1', resolve));
  keys = await createTestKeys();
  token = await signDevelopmentToken({ keys: keys.keys, tenant: 'default', roles: ['viewer'], subject: 'viewer@default', ttlSeconds: 600 });
  gateway = await startTestGateway(`http://127.0.0.1:${(subgraph.address() as AddressInfo).port}/graphql`, keys.keysDir, () => ({
    subgraphBreaker: { failures: 3, halfOpenAfterMs: 300, slowCallMs: 5_000 },
  }));
});
afterAll(async () => {
  await gateway?.stop();
  subgraph.closeAllConnections();
  await new Promise<void>((resolve) => subgraph.close(() => resolve()));
  await keys?.remove();
});

async function query() {
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: '{ providers { name } }' }),
  });
  return (await response.json()) as { data?: { providers: { name: string }[] } | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

function circuit() {
  const vms = (gateway.stats().subgraphCircuits as Record<string, { state: string; opened: number; refused: number }>).vms;
  if (!vms) throw new Error('the vms subgraph has no circuit');
  return vms;
}

/** Queries until `done` holds for an answer; the breaker's half-open delay is the only wait. */
async function queryUntil(done: (body: Awaited<ReturnType<typeof query>>) => boolean) {
  for (;;) {
    const body = await query();
    if (done(body)) return body;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the circuit breaker on subgraph fetches', () => {
  it('opens after consecutive failures, refuses without fetching, then closes when the subgraph recovers', async () => {
    healthy = false;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const body = await query();
      expect(body.errors?.[0]?.extensions?.code).not.toBe(undefined);
      expect(body.errors?.[0]?.extensions?.reason).not.toBe('CIRCUIT_OPEN');
    }
    expect(circuit()).toMatchObject({ state: 'open', opened: 1 });

    const before = received;
    const refused = await query();
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'UNAVAILABLE', service: 'vms', reason: 'CIRCUIT_OPEN' });
    expect(refused.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(received).toBe(before);

    // Still down when the probe goes out: the circuit opens again.
    await queryUntil(() => circuit().opened === 2);
    expect(circuit().state).toBe('open');

    healthy = true;
    const recovered = await queryUntil((body) => body.data?.providers?.[0]?.name === 'aws');
    expect(recovered.errors).toBeUndefined();
    expect(circuit().state).toBe('closed');
    expect(circuit().refused).toBeGreaterThan(0);
  });
});

describe('createSubgraphBreaker', () => {
  it('counts answers slower than slowCallMs as failures, while still returning them', async () => {
    const { createSubgraphBreaker, CircuitOpenError } = await import('../src/createSubgraphBreaker.ts');
    const breaker = createSubgraphBreaker({ name: 'slow', failures: 2, halfOpenAfterMs: 60_000, slowCallMs: 10 });
    const slowFetch: typeof fetch = async () => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      return new Response('{}', { status: 200 });
    };
    const fetcher = breaker.wrap(slowFetch);
    expect((await fetcher('http://slow.invalid/graphql')).status).toBe(200);
    expect(breaker.stats().state).toBe('closed');
    expect((await fetcher('http://slow.invalid/graphql')).status).toBe(200);
    expect(breaker.stats().state).toBe('open');
    await expect(fetcher('http://slow.invalid/graphql')).rejects.toBeInstanceOf(CircuitOpenError);
  });
});
