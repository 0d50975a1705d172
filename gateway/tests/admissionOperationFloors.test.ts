import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signDevelopmentToken } from '@novacron/auth';
import type { RunningGateway } from '../src/server.ts';
import { createTestKeys, startTestGateway } from './support/testGateway.ts';

// The gateway's adaptive admission limit (GATEWAY_ADMISSION_TARGET_MS) in front of a vms subgraph
// whose `providers` takes a set time to answer: a query that is slow by nature must not shrink the
// limit, while the same query taking longer than it does alone must. The delays are the fake
// subgraph's, chosen far from the target, so the verdicts do not depend on this machine's speed.

let subgraph: Server;
let delayMs = 1_000;
let keys: Awaited<ReturnType<typeof createTestKeys>>;
let token: string;
let gateway: RunningGateway;

const targetMs = 600;
const maxInside = 64 + 64;

beforeAll(async () => {
  subgraph = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      setTimeout(() => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ data: { providers: [{ name: 'simulated' }] } }));
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => subgraph.listen(0, '127.0.0.1', resolve));
  keys = await createTestKeys();
  token = await signDevelopmentToken({ keys: keys.keys, tenant: 'default', roles: ['viewer'], subject: 'viewer@default', ttlSeconds: 600 });
  gateway = await startTestGateway(`http://127.0.0.1:${(subgraph.address() as AddressInfo).port}/graphql`, keys.keysDir, () => ({
    admission: { maxInFlight: 64, maxQueued: 64, maxQueueMs: 10_000, retryAfterSeconds: 1, latencyTargetMs: targetMs, minInside: 2 },
  }));
});
afterAll(async () => {
  await gateway?.stop();
  subgraph?.closeAllConnections();
  await new Promise<void>((resolve) => (subgraph ? subgraph.close(() => resolve()) : resolve()));
  await keys?.remove();
});

const admission = () => gateway.stats().admission as { limit: number | null; operationFloors: number | null; refused: Record<string, number> };

async function providers(): Promise<void> {
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: '{ providers { name } }' }),
  });
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ data: { providers: [{ name: 'simulated' }] } });
}

describe('the adaptive admission limit', () => {
  it('learns what an operation takes alone and judges its requests by the time above that', async () => {
    expect(admission()).toMatchObject({ limit: maxInside, operationFloors: 0 });
    // Alone, one after the other: 1 s is what this query takes.
    for (let i = 0; i < 3; i += 1) await providers();
    expect(admission().operationFloors).toBe(1);

    // Twelve at once, each about 1 s: a window of 1-s latencies (above the 600-ms target) is judged,
    // and the limit stays where it was. Judged by whole latencies it was cut to 80 % here.
    await Promise.all(Array.from({ length: 12 }, () => providers()));
    expect(admission().limit).toBe(maxInside);

    // The same query now taking 2 s, 1 s above what it takes alone: the limit is cut.
    delayMs = 2_000;
    await Promise.all(Array.from({ length: 12 }, () => providers()));
    expect(admission().limit).toBeLessThan(maxInside);
    expect(admission().refused).toMatchObject({ LATENCY_LIMIT: 0 });
  }, 30_000);
});
