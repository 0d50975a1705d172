import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createRequestAdmission, type RequestAdmission } from '../src/admission/createRequestAdmission.ts';

// The limiter on a real HTTP server: each admitted request is answered only when the test says so,
// so "in flight" is a real open request, and refusals are real HTTP answers.

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function serve(admission: RequestAdmission) {
  const waiting: (() => void)[] = [];
  let served = 0;
  let closed = 0;
  server = createServer((request, response) => {
    response.once('close', () => (closed += 1));
    admission.handle(request, response, () => {
      served += 1;
      waiting.push(() => response.end('done'));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  return {
    url,
    /** Requests handed to the handler so far. */
    served: () => served,
    /** Responses finished or abandoned by their client so far. */
    closed: () => closed,
    /** Answers every admitted request so far. */
    finishAll: () => waiting.splice(0).forEach((finish) => finish()),
  };
}

describe('createRequestAdmission', () => {
  it('refuses past its slots and queue with 503, Retry-After and OVERLOADED, and serves the queued one when a slot frees', async () => {
    const refusals: string[] = [];
    const admission = createRequestAdmission({ maxInFlight: 1, maxQueued: 1, maxQueueMs: 0, retryAfterSeconds: 4, onRefused: (reason) => refusals.push(reason) });
    const { url, finishAll } = await serve(admission);
    const first = fetch(url, { method: 'POST', body: '{}' });
    const queued = fetch(url, { method: 'POST', body: '{}' });
    await expect.poll(() => admission.stats()).toMatchObject({ inFlight: 1, queued: 1 });

    const refused = await fetch(url, { method: 'POST', body: '{}' });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('4');
    expect(await refused.json()).toMatchObject({ errors: [{ extensions: { code: 'OVERLOADED', reason: 'QUEUE_FULL', retryAfterSeconds: 4 } }] });
    expect(refusals).toEqual(['QUEUE_FULL']);

    finishAll();
    expect(await (await first).text()).toBe('done');
    await expect.poll(() => admission.stats().queued).toBe(0);
    finishAll();
    expect(await (await queued).text()).toBe('done');
    await expect.poll(() => admission.stats()).toMatchObject({ inFlight: 0, queued: 0, limit: null, refused: { QUEUE_FULL: 1, QUEUE_TIMEOUT: 0, LATENCY_LIMIT: 0 } });
  });

  it('never serves a queued request whose client left, and frees its place', async () => {
    const admission = createRequestAdmission({ maxInFlight: 1, maxQueued: 1, maxQueueMs: 0, retryAfterSeconds: 1 });
    const { url, finishAll, served, closed } = await serve(admission);
    const first = fetch(url, { method: 'POST', body: '{}' });
    await expect.poll(() => admission.stats().inFlight).toBe(1);
    // A client that queues and then goes away.
    const leaving = httpRequest(url, { method: 'POST' });
    leaving.on('error', () => {});
    leaving.end('{}');
    await expect.poll(() => admission.stats().queued).toBe(1);
    leaving.destroy();
    await expect.poll(() => closed()).toBe(1);

    finishAll();
    expect(await (await first).text()).toBe('done');
    // The departed client's place was dropped at its turn, not served: the slot is free again.
    await expect.poll(() => admission.stats()).toMatchObject({ inFlight: 0, queued: 0 });
    expect(served()).toBe(1);
    const next = fetch(url, { method: 'POST', body: '{}' });
    await expect.poll(() => admission.stats().inFlight).toBe(1);
    finishAll();
    expect((await next).status).toBe(200);
    expect(served()).toBe(2);
    expect(admission.stats().refused).toEqual({ QUEUE_FULL: 0, QUEUE_TIMEOUT: 0, LATENCY_LIMIT: 0 });
  });

  it('serves everything without limits when maxInFlight is 0', async () => {
    const admission = createRequestAdmission({ maxInFlight: 0, maxQueued: 0, maxQueueMs: 0, retryAfterSeconds: 1 });
    const { url, finishAll, served } = await serve(admission);
    const requests = Array.from({ length: 5 }, () => fetch(url, { method: 'POST', body: '{}' }));
    // All five are handed to the handler at once, none waits for another to finish.
    await expect.poll(() => served()).toBe(5);
    finishAll();
    expect((await Promise.all(requests)).map((response) => response.status)).toEqual([200, 200, 200, 200, 200]);
  });

  it('with a latency target, lowers the number let in after slow answers and refuses beyond it at once with LATENCY_LIMIT', async () => {
    const refusals: string[] = [];
    // One slot and one queue place: the limit on requests inside starts at 2 and may fall to 1.
    const admission = createRequestAdmission({ maxInFlight: 1, maxQueued: 1, maxQueueMs: 0, retryAfterSeconds: 2, latencyTargetMs: 1, minInside: 1, onRefused: (reason) => refusals.push(reason) });
    const { url, finishAll } = await serve(admission);
    expect(admission.stats().limit).toBe(2);
    // Ten answers slower than the 1 ms target, over more than the 250 ms window: the limit is cut.
    for (let i = 0; i < 10; i += 1) {
      const answer = fetch(url, { method: 'POST', body: '{}' });
      await expect.poll(() => admission.stats().inFlight).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, i === 9 ? 260 : 5));
      finishAll();
      expect((await answer).status).toBe(200);
    }
    await expect.poll(() => admission.stats().limit).toBe(1);

    // One request inside now fills the limit: the next is refused at once, not queued.
    const inside = fetch(url, { method: 'POST', body: '{}' });
    await expect.poll(() => admission.stats().inFlight).toBe(1);
    const refused = await fetch(url, { method: 'POST', body: '{}' });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('2');
    expect(await refused.json()).toMatchObject({ errors: [{ extensions: { code: 'OVERLOADED', reason: 'LATENCY_LIMIT', retryAfterSeconds: 2 } }] });
    expect(admission.stats()).toMatchObject({ inFlight: 1, queued: 0, refused: { LATENCY_LIMIT: 1, QUEUE_FULL: 0 } });
    expect(refusals).toEqual(['LATENCY_LIMIT']);
    finishAll();
    expect((await inside).status).toBe(200);
  });
});
