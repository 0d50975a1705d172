import { Agent, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { postJson } from '../src/postJson.ts';

// A keep-alive server that resets the connection instead of answering the requests whose numbers
// (1-based, in arrival order) are listed.
let server: Server | undefined;
let agent: Agent | undefined;
async function serve(resetRequests: number[]): Promise<{ url: URL; seen: () => number }> {
  let seen = 0;
  server = createServer((request, response) => {
    seen += 1;
    if (resetRequests.includes(seen)) {
      request.socket.destroy();
      return;
    }
    request.resume();
    request.on('end', () => response.end(JSON.stringify({ n: seen })));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`), seen: () => seen };
}

afterEach(async () => {
  agent?.destroy();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = agent = undefined;
});

describe('postJson', () => {
  it('sends again, once, a request that waited for a busy socket which the server then closed', async () => {
    const { url, seen } = await serve([2]);
    // One socket: the second request waits in the agent's queue and gets the socket the first answer
    // freed. Node does not mark such a request `reusedSocket`, yet the socket is a reused one.
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const [first, second] = await Promise.all([postJson(agent, url, '{}', 5_000), postJson(agent, url, '{}', 5_000)]);
    expect(JSON.parse(first.text)).toEqual({ n: 1 });
    expect(JSON.parse(second.text)).toEqual({ n: 3 });
    expect(seen()).toBe(3);
  });

  it('sends the request again on a new connection, not on another idle socket the server may have closed too', async () => {
    // A server that has closed every idle keep-alive connection: any request on a connection that already carried one is reset.
    const served = new WeakSet<object>();
    let seen = 0;
    server = createServer((request, response) => {
      seen += 1;
      if (served.has(request.socket)) {
        request.socket.destroy();
        return;
      }
      served.add(request.socket);
      request.resume();
      request.on('end', () => response.end(JSON.stringify({ n: seen })));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`);
    agent = new Agent({ keepAlive: true, maxSockets: 2 });
    // Two idle keep-alive sockets in the agent's free list.
    await Promise.all([postJson(agent, url, '{}', 5_000), postJson(agent, url, '{}', 5_000)]);
    const answer = await postJson(agent, url, '{}', 5_000);
    expect(JSON.parse(answer.text)).toEqual({ n: 4 });
    expect(seen).toBe(4);
  });

  it('fails, without sending again, a request whose new socket the server reset', async () => {
    const { url, seen } = await serve([1]);
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
    await expect(postJson(agent, url, '{}', 5_000)).rejects.toMatchObject({ code: 'ECONNRESET', reusedSocket: false });
    expect(seen()).toBe(1);
  });
});
