import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSubgraphFetch, type PooledSubgraphFetch } from '../src/createSubgraphFetch.ts';

// A real HTTP server: echoes what it received, or never answers for /hang.
let server: Server;
let base: string;
let pooled: PooledSubgraphFetch;

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      if (request.url === '/hang') return;
      response.writeHead(request.url === '/missing' ? 404 : 200, { 'content-type': 'application/json', 'x-novacron-max-age-ms': '250' });
      response.end(JSON.stringify({ method: request.method, body, token: request.headers['x-novacron-internal-token'] ?? null }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  pooled = createSubgraphFetch();
});
afterAll(async () => {
  await pooled?.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('createSubgraphFetch', () => {
  it('posts the body with the headers and answers status, headers and body like a fetch Response', async () => {
    const answer = await pooled.fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-novacron-internal-token': 't' }, body: '{"query":"{n}"}' });
    expect(answer.status).toBe(200);
    expect(answer.statusText).toBe('OK');
    expect(answer.url).toBe(`${base}/graphql`);
    expect(answer.headers.get('Content-Type')).toBe('application/json');
    expect(answer.headers.get('x-novacron-max-age-ms')).toBe('250');
    expect(answer.headers.get('x-absent')).toBeNull();
    expect(await answer.json()).toEqual({ method: 'POST', body: '{"query":"{n}"}', token: 't' });
    expect(await answer.text()).toBe('{"method":"POST","body":"{\\"query\\":\\"{n}\\"}","token":"t"}');
  });

  it('answers an error status instead of throwing', async () => {
    const answer = await pooled.fetch(`${base}/missing`, { method: 'POST', headers: {}, body: '{}' });
    expect([answer.status, answer.statusText]).toEqual([404, 'Not Found']);
  });

  it("rejects with the signal's reason when the deadline passes", async () => {
    const error = await pooled.fetch(`${base}/hang`, { method: 'POST', headers: {}, body: '{}', signal: AbortSignal.timeout(100) }).catch((caught: unknown) => caught);
    expect((error as Error).name).toBe('TimeoutError');
  });

  it("rejects like fetch (TypeError 'fetch failed') when the subgraph cannot be reached", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await pooled.fetch(`http://127.0.0.1:${port}/graphql`, { method: 'POST', headers: {}, body: '{}' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toBe('fetch failed');
    expect((error as TypeError).cause).toBeDefined();
  });
});
