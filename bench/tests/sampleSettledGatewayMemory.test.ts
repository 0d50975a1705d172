import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sampleSettledGatewayMemory } from '../src/readGatewayMetrics.ts';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** A /metrics endpoint whose resident memory follows `rssMb` one scrape at a time (the last value repeats). */
async function gatewayWithRss(rssMb: number[]): Promise<string> {
  let scrape = 0;
  const server = createServer((_request, response) => {
    const rss = rssMb[Math.min(scrape, rssMb.length - 1)]! * 1024 * 1024;
    scrape += 1;
    response.end(`process_resident_memory_bytes ${rss}\nnodejs_heap_size_used_bytes ${rss / 2}\nnovacron_websocket_connections 10\nnovacron_graphql_active_subscriptions 10\n`);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
}

describe('sampleSettledGatewayMemory', () => {
  it('waits until resident memory stops falling and keeps the median of the last three readings', async () => {
    const url = await gatewayWithRss([600, 540, 500, 470, 451, 450, 452]);
    const sample = await sampleSettledGatewayMemory(url, 'idle', { intervalMs: 5, maxWaitMs: 60_000, toleranceMb: 2 });
    expect(sample).toMatchObject({ label: 'idle', settled: true, rssMb: 451, heapUsedMb: 225.5, connections: 10 });
  });

  it('says so when memory is still moving at the end of the wait', async () => {
    const url = await gatewayWithRss(Array.from({ length: 10_000 }, (_, index) => 600 - index * 10));
    const sample = await sampleSettledGatewayMemory(url, 'idle', { intervalMs: 5, maxWaitMs: 50, toleranceMb: 2 });
    expect(sample.settled).toBe(false);
  });
});
