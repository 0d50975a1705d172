import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { createLogger } from '@novacron/server-kit';
import { start, type RunningVmsSubgraph } from '../src/server.ts';
import { requestCreate } from '../src/domain/requestOperation.ts';
import { testConfig } from './support/testConfig.ts';

let database: TestDatabase;
let subgraph: RunningVmsSubgraph;

async function post(body: unknown): Promise<{ status: number; json: { data?: Record<string, unknown>; errors?: { extensions?: Record<string, unknown> }[] } }> {
  const response = await fetch(subgraph.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as never };
}

beforeAll(async () => {
  database = await createTestDatabase();
  subgraph = await start(testConfig(database.url), createLogger('test', 'silent'));
});
afterAll(async () => {
  await subgraph?.stop();
  await database?.drop();
});

describe('vms subgraph', () => {
  it('serves its SDL through _service for composition', async () => {
    const { json } = await post({ query: '{ _service { sdl } }' });
    const sdl = (json.data?._service as { sdl: string }).sdl;
    expect(sdl).toMatch(/type VM\s+@key\(fields: "id"\)/);
    expect(sdl).toMatch(/type Operation\s+@key\(fields: "id"\)/);
  });

  it('resolves VM and Operation entities through _entities, and unknown ids to null', async () => {
    const operation = await requestCreate(subgraph.services, 'default', { name: 'entity-1', provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', image: 'debian-12' }, null);
    const { json } = await post({
      query: 'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on VM { id name status } ... on Operation { id kind operationStatus: status } } }',
      variables: {
        representations: [
          { __typename: 'VM', id: operation.vmId },
          { __typename: 'Operation', id: operation.id },
          { __typename: 'VM', id: '00000000-0000-4000-8000-000000000000' },
          { __typename: 'VM', id: 'malformed' },
        ],
      },
    });
    expect(json.errors).toBeUndefined();
    expect(json.data?._entities).toEqual([
      { id: operation.vmId, name: 'entity-1', status: 'PENDING' },
      { id: operation.id, kind: "CREATE", operationStatus: "QUEUED" },
      null,
      null,
    ]);
  });

  it('does not resolve entities of another tenant', async () => {
    const foreign = await requestCreate(subgraph.services, 'someone-else', { name: 'foreign-1', provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', image: 'debian-12' }, null);
    const { json } = await post({
      query: 'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on VM { id } ... on Operation { id } } }',
      variables: { representations: [{ __typename: 'VM', id: foreign.vmId }, { __typename: 'Operation', id: foreign.id }] },
    });
    expect(json.data?._entities).toEqual([null, null]);
  });

  it('answers /health and /ready', async () => {
    const base = new URL(subgraph.url);
    expect((await fetch(new URL('/health', base))).status).toBe(200);
    expect((await fetch(new URL('/ready', base))).status).toBe(200);
  });
});
