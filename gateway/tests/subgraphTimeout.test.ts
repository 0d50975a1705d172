import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { signDevelopmentToken } from '@novacron/auth';
import { freePort } from '@novacron/testing';
import type { RunningGateway } from '../src/server.ts';
import { createTestKeys, startTestGateway } from './support/testGateway.ts';

// A subgraph that accepts the connection and never answers: the gateway must give up on its own
// deadline with a coded error, not hold the client for undici's 300 s.
let hung: Server;
let keys: Awaited<ReturnType<typeof createTestKeys>>;
let token: string;
const held = new Set<import('node:http').ServerResponse>();
// Connections it accepted: counted by the kernel's handshake, whatever the gateway's event loop does after.
let connections = 0;

beforeAll(async () => {
  hung = createServer((_request, response) => {
    held.add(response);
  });
  hung.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
  keys = await createTestKeys();
  token = await signDevelopmentToken({ keys: keys.keys, tenant: 'default', roles: ['viewer'], subject: 'viewer@default', ttlSeconds: 600 });
});
afterAll(async () => {
  for (const response of held) response.destroy();
  hung.closeAllConnections();
  await new Promise<void>((resolve) => hung.close(() => resolve()));
  await keys?.remove();
});

function startGateway(vmsUrl: string): Promise<RunningGateway> {
  return startTestGateway(vmsUrl, keys.keysDir, () => ({ subgraphTimeoutMs: 300 }));
}

async function query(gateway: RunningGateway) {
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: '{ providers { name } }' }),
  });
  return (await response.json()) as { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

describe('gateway→subgraph fetches', () => {
  it('fail with UNAVAILABLE naming the subgraph when it does not answer within SUBGRAPH_TIMEOUT_MS', async () => {
    const gateway = await startGateway(`http://127.0.0.1:${(hung.address() as AddressInfo).port}/graphql`);
    try {
      const body = await query(gateway);
      expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'UNAVAILABLE', service: 'vms', reason: 'SUBGRAPH_TIMEOUT' });
      expect(body.errors?.[0]?.message).toBe('the vms service did not answer within 0.3 s');
      // The subgraph was reached. Not `held.size`: under load the 300 ms deadline can fire (timers run
      // before I/O in an event-loop turn) before this process's server has parsed the request, and the
      // aborted socket then never delivers it; that assertion flaked. The connection is always accepted.
      await vi.waitFor(() => expect(connections).toBeGreaterThan(0));
    } finally {
      await gateway.stop();
    }
  });

  it('fail with UNAVAILABLE when the subgraph cannot be reached', async () => {
    const gateway = await startGateway(`http://127.0.0.1:${await freePort()}/graphql`);
    try {
      const body = await query(gateway);
      expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'UNAVAILABLE', service: 'vms', reason: 'SUBGRAPH_UNREACHABLE' });
    } finally {
      await gateway.stop();
    }
  });
});
