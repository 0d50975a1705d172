import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDeadlinedFetch } from '../src/createDeadlinedFetch.ts';

// A server that sends its headers and then holds the body: the deadline covers the body too.
let slowBody: Server;
const held = new Set<ServerResponse>();
beforeAll(async () => {
  slowBody = createServer((_request, response) => {
    held.add(response);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.write('{"data":');
  });
  await new Promise<void>((resolve) => slowBody.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  for (const response of held) response.destroy();
  slowBody.closeAllConnections();
  await new Promise<void>((resolve) => slowBody.close(() => resolve()));
});
afterEach(() => {
  vi.useRealTimers();
});

/** A fetch that answers at once and remembers the signal it was given. */
function answeringFetch(signals: AbortSignal[]): typeof fetch {
  return async (_input, init) => {
    if (init?.signal) signals.push(init.signal);
    return new Response('{"data":{"ok":true}}', { status: 200, headers: { 'content-type': 'application/json' } });
  };
}

/** A fetch that never answers but gives up when its signal aborts, as undici's does. */
function hangingFetch(): typeof fetch {
  return (_input, init) =>
    new Promise<Response>((_resolve, reject) => {
      init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
    });
}

describe('createDeadlinedFetch', () => {
  it('stops the deadline once the fetch has settled, so a finished fetch is never aborted later', async () => {
    const signals: AbortSignal[] = [];
    // Real timers: AbortSignal.timeout (what this replaces) kept its timer after the fetch and aborted it 20 ms on.
    const deadlined = createDeadlinedFetch(answeringFetch(signals), 20);
    const response = await deadlined('http://subgraph.invalid/graphql', { method: 'POST', headers: {}, body: '{}' });
    expect(await response.json()).toEqual({ data: { ok: true } });
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(signals).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(false);
  });

  it('fails a fetch that does not answer within the deadline with a TimeoutError', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const pending = createDeadlinedFetch(hangingFetch(), 1_000)('http://subgraph.invalid/graphql');
    const failure = pending.catch((error: unknown) => error);
    vi.advanceTimersByTime(1_000);
    const error = (await failure) as Error;
    expect(error.name).toBe('TimeoutError');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('fails a fetch whose body does not arrive within the deadline', async () => {
    const url = `http://127.0.0.1:${(slowBody.address() as AddressInfo).port}/graphql`;
    const error = (await createDeadlinedFetch(fetch, 200)(url).catch((caught: unknown) => caught)) as Error;
    expect(error).toBeInstanceOf(Error);
    // Body reads cut short surface as the cause of another error, as with AbortSignal.timeout.
    expect(error.name === 'TimeoutError' || (error.cause as Error | undefined)?.name === 'TimeoutError').toBe(true);
    expect(held.size).toBeGreaterThan(0);
  });

  it('still aborts when the caller aborts its own signal', async () => {
    const caller = new AbortController();
    const pending = createDeadlinedFetch(hangingFetch(), 60_000)('http://subgraph.invalid/graphql', { method: 'POST', headers: {}, body: '{}', signal: caller.signal });
    caller.abort(new Error('caller gave up'));
    await expect(pending).rejects.toThrow('caller gave up');
  });
});
