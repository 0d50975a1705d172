import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { internalTokenAudience, internalTokenHeader } from '@novacron/auth';
import { loadCatalog } from '@novacron/catalog';
import { createLogger } from '@novacron/server-kit';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { createDatabase } from '../src/db/createDatabase.ts';
import { applyVmEvents } from '../src/domain/applyVmEvents.ts';
import { epochSeconds } from '../src/domain/utcCalendar.ts';
import { start } from '../src/server.ts';
import { createTestKeys } from './support/internalTokens.ts';
import { testConfig } from './support/testConfig.ts';
import { vmEventStream } from './support/vmEventStream.ts';

/**
 * A loopback server speaking the metrics subgraph's GraphQL API for `_entities { ... on VM { metrics } }`:
 * 14 days of 5-minute CPU maxima (idle at 5-11 %, a daily burst to 18 %) and memory at 30 %.
 */
const requests: Array<{ token: string | undefined; body: { query: string; variables: Record<string, any> } }> = [];
const metrics = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    requests.push({ token: request.headers[internalTokenHeader] as string | undefined, body });
    const buckets = (14 * 86_400) / body.variables.step;
    const cpu = Array.from({ length: buckets }, (_, index) => ({ value: index % 288 < 2 ? 18 : 5 + (index % 7) }));
    const memory = Array.from({ length: buckets }, () => ({ value: 30 }));
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ data: { _entities: [{ cpu: { points: cpu }, memory: { points: memory } }] } }));
  });
});

let database: TestDatabase;
let running: Awaited<ReturnType<typeof start>>;
let keys: Awaited<ReturnType<typeof createTestKeys>>;
const vm = vmEventStream({ tenantId: 'acme', provider: 'aws', region: 'us-east-1', instanceType: 'm6i.2xlarge' });

beforeAll(async () => {
  await new Promise<void>((resolve) => metrics.listen(0, '127.0.0.1', resolve));
  database = await createTestDatabase();
  keys = await createTestKeys();
  const { port } = metrics.address() as AddressInfo;
  const config = testConfig(database.url, keys.keysDir);
  running = await start({ ...config, subgraphUrls: { ...config.subgraphUrls, metrics: `http://127.0.0.1:${port}/graphql` } }, createLogger('billing', 'silent'), {
    now: () => epochSeconds('2026-11-16T00:00:00Z'),
    tasks: false,
  });
  vm.created('2026-10-01T00:00:00Z');
  vm.running('2026-10-01T00:00:00Z');
  await createDatabase(database.sql).transaction((tx) => applyVmEvents(tx, vm.events, loadCatalog()));
});
afterAll(async () => {
  await running?.stop();
  await database?.drop();
  await new Promise((resolve) => metrics.close(resolve));
});

describe('rightsizing through the metrics subgraph’s API', () => {
  it('reads 14 days of 5-minute maxima as NovaCron and recommends the cheaper type of the same family', async () => {
    const response = await fetch(running.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [internalTokenHeader]: await keys.forUser('acme', 'viewer') },
      body: JSON.stringify({
        query: `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on VM { rightsizing { status currentInstanceType recommendedInstanceType monthlySavings evidence { hoursOfData cpuP995Percent memoryP995Percent requiredVcpus requiredMemoryGib } } } } }`,
        variables: { reps: [{ __typename: 'VM', id: vm.id }] },
      }),
    });
    const answer = (await response.json()) as { data: { _entities: Array<{ rightsizing: Record<string, unknown> }> }; errors?: unknown };
    expect(answer.errors).toBeUndefined();
    // P99.5 of 4,032 buckets: rank 4,012; 28 buckets at 18 %, the next highest 11 % → 18 %. Needs 8 × 0.18 × 1.2 = 1.728 vCPU, 32 × 0.3 × 1.2 = 11.52 GiB.
    expect(answer.data._entities[0]?.rightsizing).toEqual({
      status: 'OVERSIZED',
      currentInstanceType: 'm6i.2xlarge',
      recommendedInstanceType: 'm6i.xlarge',
      monthlySavings: '140.160000',
      evidence: { hoursOfData: 336, cpuP995Percent: 18, memoryP995Percent: 30, requiredVcpus: 1.728, requiredMemoryGib: 11.52 },
    });
    expect(requests).toHaveLength(1);
    const claims = JSON.parse(Buffer.from(requests[0]!.token!.split('.')[1]!, 'base64url').toString('utf8'));
    // NovaCron itself, addressed to the metrics subgraph only.
    expect(claims).toMatchObject({ system: true, sub: 'billing/rightsizing', aud: internalTokenAudience('metrics') });
    expect(requests[0]!.body.variables).toMatchObject({ representations: [{ __typename: 'VM', id: vm.id }], step: 300, from: '2026-11-02T00:00:00.000Z', to: '2026-11-16T00:00:00.000Z' });
    expect(requests[0]!.body.query).toContain('aggregate: MAX');
  });
});
