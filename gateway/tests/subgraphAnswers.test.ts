import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { internalTokenHeader, signDevelopmentToken } from '@novacron/auth';
import type { RunningGateway } from '../src/server.ts';
import { createTestKeys, startTestGateway } from './support/testGateway.ts';

// A stand-in vms subgraph answering `providers` (with a cache hint the gateway does not relay), through
// the gateway's own subgraph fetch (createSubgraphFetch) and data source.
let subgraph: Server;
let gateway: RunningGateway;
let keys: Awaited<ReturnType<typeof createTestKeys>>;
let token: string;
const received: { headers: IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  subgraph = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=60, public' });
      response.end(JSON.stringify({ data: { providers: [{ name: 'aws' }, { name: 'gcp' }] } }));
    });
  });
  await new Promise<void>((resolve) => subgraph.listen(0, '127.0.0.1', resolve));
  keys = await createTestKeys();
  token = await signDevelopmentToken({ keys: keys.keys, tenant: 'default', roles: ['viewer'], subject: 'viewer@default', ttlSeconds: 600 });
  gateway = await startTestGateway(`http://127.0.0.1:${(subgraph.address() as AddressInfo).port}/graphql`, keys.keysDir, () => ({}));
});
afterAll(async () => {
  await gateway?.stop();
  subgraph.closeAllConnections();
  await new Promise<void>((resolve) => subgraph.close(() => resolve()));
  await keys?.remove();
});

describe("a subgraph's answer through the gateway", () => {
  it('reaches the client as data, the request carrying the caller in an internal token, with no cache hint relayed', async () => {
    received.length = 0;
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ providers { name } }' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { providers: [{ name: 'aws' }, { name: 'gcp' }] } });
    expect(response.headers.get('cache-control')).toBeNull();
    expect(received).toHaveLength(1);
    expect(received[0]?.headers[internalTokenHeader]).toEqual(expect.any(String));
    expect(received[0]?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(received[0]!.body)).toMatchObject({ query: expect.stringContaining('providers') });
  });
});
