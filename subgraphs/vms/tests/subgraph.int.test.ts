import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { createLogger } from '@novacron/server-kit';
import { createInternalTokenSigner, internalTokenHeader } from '@novacron/auth';
import { generateKeyPairSync } from 'node:crypto';
import { start, type RunningVmsSubgraph } from '../src/server.ts';
import { requestCreate } from '../src/domain/requestOperation.ts';
import { createTestKeys } from './support/internalTokens.ts';
import { testConfig } from './support/testConfig.ts';

let database: TestDatabase;
let subgraph: RunningVmsSubgraph;
let keys: Awaited<ReturnType<typeof createTestKeys>>;
let viewerToken: string;

type Response = { status: number; json: { data?: Record<string, unknown> | null; errors?: { extensions?: Record<string, unknown> }[] } };

async function post(body: unknown, token: string | null = viewerToken): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers[internalTokenHeader] = token;
  const response = await fetch(subgraph.url, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as never };
}

beforeAll(async () => {
  database = await createTestDatabase();
  keys = await createTestKeys();
  viewerToken = await keys.forUser('default', 'viewer');
  subgraph = await start(testConfig(database.url, { security: { internalTokenPublicKeyPem: undefined, internalTokenPrivateKeyPem: undefined, internalTokenKeyId: 'internal-1', credentialKeys: undefined, credentialActiveKeyId: undefined, keysDir: keys.keysDir } }), createLogger('test', 'silent'));
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

  it('does not resolve entities of another tenant, even with a valid token', async () => {
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

  it.each([
    ['_service', '{ _service { sdl } }'],
    ['_entities', 'query { _entities(representations: [{ __typename: "VM", id: "00000000-0000-4000-8000-000000000000" }]) { __typename } }'],
    ['a query', '{ providers { name } }'],
  ])('refuses %s without an internal token (401 UNAUTHENTICATED)', async (_name, query) => {
    const { status, json } = await post({ query }, null);
    expect(status).toBe(401);
    expect(json.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(json.data ?? null).toBeNull();
  });

  it('refuses an expired internal token and one signed by another key', async () => {
    const expired = await keys.sign({ subject: 'old', tenantId: 'default', roles: ['viewer'], expiresAt: new Date(Date.now() - 60_000) });
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forged = await createInternalTokenSigner({ privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), keyId: 'forged' })({
      subject: 'mallory',
      tenantId: 'default',
      roles: ['admin'],
      expiresAt: new Date(Date.now() + 60_000),
    });
    for (const token of [expired, forged, 'not-a-jwt']) {
      const { status, json } = await post({ query: '{ _service { sdl } }' }, token);
      expect(status).toBe(401);
      expect(json.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });

  it('keeps the internal event feed to the gateway itself', async () => {
    const asUser = await post({ query: '{ _eventFeed(stream: "vm") { endCursor } }' }, await keys.forUser('default', 'admin'));
    expect(asUser.json.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const asGateway = await post({ query: '{ _eventFeed(stream: "vm") { endCursor } }' }, await keys.sign({ system: true, subject: 'test' }));
    expect(asGateway.json.errors).toBeUndefined();
  });

  it('does not enable CORS: browsers cannot call it from another origin', async () => {
    const preflight = await fetch(subgraph.url, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const response = await fetch(subgraph.url, { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'application/json', [internalTokenHeader]: viewerToken }, body: '{"query":"{ __typename }"}' });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});
