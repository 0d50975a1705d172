import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createFeedFetcher, encodeEventCursor, eventFeedQuery, FeedError } from '../src/index.ts';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A subgraph stand-in on a free port answering each feed request with `answer`. */
async function serve(answer: (body: { query: string; variables: Record<string, unknown> }, response: ServerResponse, request: IncomingMessage) => void): Promise<string> {
  const server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => answer(JSON.parse(text), response, request));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
}

const cursor = (seq: number) => encodeEventCursor({ stream: 'notes.note', txid: '7', seq });
const entry = (seq: number) => ({ cursor: cursor(seq), tenantId: 'alpha', entityId: `n-${seq}`, keys: [`n-${seq}`], version: 1, type: 'WRITTEN', terminal: false, occurredAt: '2026-11-30T12:00:00.000Z', payload: null });

describe('createFeedFetcher', () => {
  it('posts the one feed document with the internal token and decodes each cursor', async () => {
    let posted: { query: string; variables: Record<string, unknown>; token: string | undefined } | undefined;
    const url = await serve((body, response, request) => {
      posted = { ...body, token: request.headers['x-test-token'] as string | undefined };
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ data: { _eventFeed: { endCursor: cursor(2), heldBack: true, entries: [entry(1), entry(2)] } } }));
    });
    const feed = createFeedFetcher('notes', url, async () => ({ 'x-test-token': 'secret' }));
    const page = await feed({ stream: 'note', after: cursor(0), first: 2, withPayload: true });
    expect(posted).toEqual({ query: eventFeedQuery, variables: { stream: 'note', after: cursor(0), first: 2, entityId: null, tenantId: null, withPayload: true }, token: 'secret' });
    expect(page.heldBack).toBe(true);
    expect(page.entries.map((read) => read.position.seq)).toEqual([1, 2]);
  });

  it("throws the feed's own error code", async () => {
    const url = await serve((_body, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ data: null, errors: [{ message: 'too old', extensions: { code: 'RESYNC_REQUIRED', field: 'after' } }] }));
    });
    const read = createFeedFetcher('notes', url, async () => ({}))({ stream: 'note', after: cursor(0), first: 2 });
    await expect(read).rejects.toBeInstanceOf(FeedError);
    await expect(read).rejects.toMatchObject({ code: 'RESYNC_REQUIRED' });
  });

  it('gives up on a feed that does not answer within its timeout', async () => {
    const url = await serve(() => {});
    const read = createFeedFetcher('notes', url, async () => ({}), 100)({ stream: 'note', after: cursor(0), first: 2 });
    await expect(read).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('gives up on a feed that stops in the middle of its answer', async () => {
    const url = await serve((_body, response) => {
      response.setHeader('content-type', 'application/json');
      response.write('{"data":{"_eventFeed":');
    });
    const read = createFeedFetcher('notes', url, async () => ({}), 100)({ stream: 'note', after: cursor(0), first: 2 });
    await expect(read).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
