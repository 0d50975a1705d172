import { createHmac, generateKeyPairSync } from 'node:crypto';
import { CloseCode } from 'graphql-ws';
import { SignJWT, importPKCS8, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInternalTokenSigner, developmentAudience, internalTokenAudience, developmentIssuer, userTokenClaims } from '@novacron/auth';
import { CreateVmDocument } from '@novacron/sdk';
import { waitFor } from '@novacron/testing';
import {
  auditCount,
  createVmInput,
  databaseFingerprint,
  internalTokenFor,
  openRawGraphQLSocket,
  postGraphQL,
  postToSubgraph,
  startPlatform,
  type Platform,
} from '../src/index.ts';

// Callers' tokens are checked at the gateway (HTTP and graphql-ws); the subgraph trusts only the
// gateway's own short-lived internal tokens. Every malformed, forged or misdirected token is refused
// with the same UNAUTHENTICATED answer, which never says what was wrong with it.

let platform: Platform;
let userKey: CryptoKey;
let bravoVm = '';

beforeAll(async () => {
  // No worker: queued operations stay put, so fingerprints hold still.
  platform = await startPlatform({ workers: 0 });
  userKey = await importPKCS8(platform.keys.user.privateKeyPem, 'ES256');
  const bravo = await platform.clientFor({ tenant: 'bravo', role: 'admin' });
  bravoVm = (await bravo.request(CreateVmDocument, { input: createVmInput() })).createVM.vm?.id ?? '';
});
afterAll(async () => {
  await platform?.stop();
});

const now = () => Math.floor(Date.now() / 1000);

/** What a crafted token carries; null leaves a claim out. Defaults make a valid admin token of `default`. */
interface TokenShape {
  tenant?: unknown;
  roles?: unknown;
  subject?: string | null;
  issuer?: string;
  audience?: string;
  expiresAt?: number | null;
  notBefore?: number;
  keyId?: string;
  key?: CryptoKey;
}

/** Signs a user token with jose, ES256, as an identity provider would. */
async function craft(shape: TokenShape = {}): Promise<string> {
  const claims: Record<string, unknown> = {};
  if (shape.tenant !== null) claims[userTokenClaims.tenant] = shape.tenant ?? 'default';
  if (shape.roles !== null) claims[userTokenClaims.roles] = shape.roles ?? ['admin'];
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: shape.keyId ?? platform.keys.user.keyId, typ: 'JWT' })
    .setIssuer(shape.issuer ?? developmentIssuer)
    .setAudience(shape.audience ?? developmentAudience)
    .setIssuedAt(now());
  if (shape.subject !== null) jwt.setSubject(shape.subject ?? 'crafted@default');
  if (shape.expiresAt !== null) jwt.setExpirationTime(shape.expiresAt ?? now() + 600);
  if (shape.notBefore !== undefined) jwt.setNotBefore(shape.notBefore);
  return jwt.sign(shape.key ?? userKey);
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const validClaims = () => ({
  sub: 'crafted@default',
  iss: developmentIssuer,
  aud: developmentAudience,
  iat: now(),
  exp: now() + 600,
  [userTokenClaims.tenant]: 'default',
  [userTokenClaims.roles]: ['admin'],
});

/** A token of a key pair nobody trusts. */
async function foreignKey(): Promise<CryptoKey> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return importPKCS8(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'ES256');
}

type BadAuthorization = [title: string, authorization: () => Promise<string>];

const bearer = (token: () => Promise<string> | string) => async () => `Bearer ${await token()}`;

const badAuthorizations: BadAuthorization[] = [
  ['an expired token', bearer(() => craft({ expiresAt: now() - 3_600 }))],
  ['a token that is not valid yet', bearer(() => craft({ notBefore: now() + 3_600 }))],
  ['a token for another audience', bearer(() => craft({ audience: 'someone-else' }))],
  ['a token from another issuer', bearer(() => craft({ issuer: 'https://id.evil.example/' }))],
  ['an unsigned token (alg none)', bearer(() => `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(validClaims())}.`)],
  [
    'a token HMAC-signed (HS256) with the public key as the secret',
    bearer(() => {
      const signingInput = `${base64url({ alg: 'HS256', typ: 'JWT', kid: platform.keys.user.keyId })}.${base64url(validClaims())}`;
      return `${signingInput}.${createHmac('sha256', platform.keys.user.publicKeyPem).update(signingInput).digest('base64url')}`;
    }),
  ],
  ['a token signed by an unknown key with an unknown key id', bearer(async () => craft({ key: await foreignKey(), keyId: 'unknown-key' }))],
  ['a token signed by another key under the trusted key id', bearer(async () => craft({ key: await foreignKey() }))],
  ['a token without exp', bearer(() => craft({ expiresAt: null }))],
  ['a token without sub', bearer(() => craft({ subject: null }))],
  [
    'a validly signed token whose payload was then changed',
    bearer(async () => {
      const [header, , signature] = (await craft({ roles: ['viewer'] })).split('.');
      return `${header}.${base64url(validClaims())}.${signature}`;
    }),
  ],
  ['a token without a tenant', bearer(() => craft({ tenant: null }))],
  ['a token with a malformed tenant', bearer(() => craft({ tenant: 'Not A Tenant!' }))],
  ['a token without any NovaCron role', bearer(() => craft({ roles: ['superuser', 'Admin'] }))],
  ['a token whose roles claim is not a list', bearer(() => craft({ roles: 'admin' }))],
  ["the gateway's internal token presented as a user token", bearer(() => internalTokenFor(platform.keys, { tenant: 'default', role: 'admin' }))],
  ['a string that is not a JWT', bearer(() => 'not-a-jwt')],
  ['credentials of another scheme', async () => `Basic ${Buffer.from('admin:admin').toString('base64')}`],
  ['an empty bearer', async () => 'Bearer '],
];

const providersQuery = { query: '{ providers { name } }' };

describe('user tokens at the gateway', () => {
  it('accepts a token crafted the way the identity provider signs them (the cases below differ from it in one way each)', async () => {
    const response = await postGraphQL(platform.gateway.url, providersQuery, { headers: { authorization: `Bearer ${await craft()}` } });
    expect(response.status).toBe(200);
    expect(response.body?.data?.providers).toHaveLength(3);
  });

  it.each(badAuthorizations)('refuses %s with UNAUTHENTICATED (HTTP 401), without saying why', async (_title, authorization) => {
    const response = await postGraphQL(platform.gateway.url, providersQuery, { headers: { authorization: await authorization() } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(response.body?.data ?? null).toBeNull();
    const [error] = response.body?.errors ?? [];
    expect(error?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(error?.message).not.toMatch(/audience|issuer|signature|alg|kid|nbf|\bexp\b|sub\b|claim|key/i);
  });

  it('runs no mutation for any refused token: nothing written, nothing audited', async () => {
    const before = await databaseFingerprint(platform.database.sql);
    const audits = await auditCount(platform.database.sql);
    for (const [title, authorization] of badAuthorizations) {
      const response = await postGraphQL(
        platform.gateway.url,
        { query: 'mutation ($input: CreateVMInput!) { createVM(input: $input) { id } }', variables: { input: createVmInput() } },
        { headers: { authorization: await authorization() } },
      );
      expect({ title, status: response.status, code: response.body?.errors?.[0]?.extensions?.code }).toEqual({ title, status: 401, code: 'UNAUTHENTICATED' });
    }
    expect(await databaseFingerprint(platform.database.sql)).toEqual(before);
    expect(await auditCount(platform.database.sql)).toBe(audits);
  });
});

describe('user tokens over graphql-ws', () => {
  it.each([...badAuthorizations, ['no token at all', async () => ''] as BadAuthorization])('closes a connection_init carrying %s with 4403', async (_title, authorization) => {
    const raw = await openRawGraphQLSocket(platform.gateway.url);
    const header = await authorization();
    raw.send({ type: 'connection_init', payload: header ? { authorization: header } : {} });
    const { code } = await raw.closed;
    expect(code).toBe(CloseCode.Forbidden);
    expect(raw.messages.filter((message) => message.type === 'connection_ack')).toEqual([]);
  });

  it('closes a connection with 4403 once its token expires', async () => {
    const raw = await openRawGraphQLSocket(platform.gateway.url);
    raw.send({ type: 'connection_init', payload: { authorization: `Bearer ${await platform.tokenFor({ tenant: 'default', role: 'viewer' }, 3)}` } });
    await raw.waitForMessage((message) => message.type === 'connection_ack');
    const subscribersBefore = platform.gateway.subscriptions.engine.stats().subscribers;
    raw.send({ id: 'live', type: 'subscribe', payload: { query: 'subscription { vmEvents { cursor } }' } });
    await waitFor(() => platform.gateway.subscriptions.engine.stats().subscribers > subscribersBefore);
    const { code, reason } = await raw.closed;
    expect(code).toBe(CloseCode.Forbidden);
    expect(reason).toMatch(/expired/i);
    // The subscription ended with the connection.
    await waitFor(() => platform.gateway.subscriptions.engine.stats().subscribers === subscribersBefore);
  });
});

describe('direct calls to the subgraph', () => {
  const entitiesQuery = (id: string) => ({
    query: 'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on VM { id name } } }',
    variables: { representations: [{ __typename: 'VM', id }] },
  });
  const requests = () =>
    [
      ['_service', { query: '{ _service { sdl } }' }],
      ['_entities', entitiesQuery(bravoVm)],
      ['a query', { query: '{ vms { totalCount } }' }],
      ['a mutation', { query: 'mutation ($id: ID!) { deleteVM(id: $id) { id } }', variables: { id: bravoVm } }],
    ] as const;

  const signInternal = async (privateKeyPem: string, keyId: string, expiresAt: Date, subgraph = 'vms') =>
    createInternalTokenSigner({ privateKeyPem, keyId, audience: internalTokenAudience(subgraph) })({ subject: 'admin@bravo', tenantId: 'bravo', roles: ['admin'], expiresAt });
  const badInternalTokens: [title: string, headers: () => Promise<Record<string, string>>][] = [
    ['without any token', async () => ({})],
    ["with the caller's user token as a bearer", async () => ({ authorization: `Bearer ${await platform.tokenFor({ tenant: 'bravo', role: 'admin' })}` })],
    ["with the caller's user token in the internal-token header", async () => ({ 'x-novacron-internal-token': await platform.tokenFor({ tenant: 'bravo', role: 'admin' }) })],
    ['with an expired internal token', async () => ({ 'x-novacron-internal-token': await signInternal(platform.keys.internal.privateKeyPem, platform.keys.internal.keyId, new Date(Date.now() - 60_000)) })],
    [
      'with a valid internal token addressed to another subgraph',
      async () => ({ 'x-novacron-internal-token': await signInternal(platform.keys.internal.privateKeyPem, platform.keys.internal.keyId, new Date(Date.now() + 60_000), 'billing') }),
    ],
    [
      'with an internal token forged with another key',
      async () => {
        const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        return { 'x-novacron-internal-token': await signInternal(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), platform.keys.internal.keyId, new Date(Date.now() + 60_000)) };
      },
    ],
  ];

  it.each(badInternalTokens)('refuses _service, _entities, a query and a mutation %s (401 UNAUTHENTICATED), writing nothing', async (_title, headers) => {
    const before = await databaseFingerprint(platform.database.sql);
    const audits = await auditCount(platform.database.sql);
    for (const [name, payload] of requests()) {
      const response = await postGraphQL(platform.vms.url, payload, { headers: await headers() });
      expect({ name, status: response.status, code: response.body?.errors?.[0]?.extensions?.code, data: response.body?.data ?? null }).toEqual({
        name,
        status: 401,
        code: 'UNAUTHENTICATED',
        data: null,
      });
    }
    expect(await databaseFingerprint(platform.database.sql)).toEqual(before);
    expect(await auditCount(platform.database.sql)).toBe(audits);
  });

  it("gives a valid internal token of another tenant nothing of bravo's: null entities and reads, NOT_FOUND writes", async () => {
    const alphaToken = await internalTokenFor(platform.keys, { tenant: 'alpha', role: 'admin' });
    const bravoToken = await internalTokenFor(platform.keys, { tenant: 'bravo', role: 'viewer' });
    expect((await postToSubgraph(platform.vms.url, { query: '{ _service { sdl } }' }, alphaToken)).body?.data?._service).toMatchObject({ sdl: expect.stringContaining('type VM') });
    expect((await postToSubgraph(platform.vms.url, entitiesQuery(bravoVm), alphaToken)).body?.data?._entities).toEqual([null]);
    expect((await postToSubgraph(platform.vms.url, entitiesQuery(bravoVm), bravoToken)).body?.data?._entities).toEqual([{ id: bravoVm, name: expect.any(String) }]);
    const read = await postToSubgraph(platform.vms.url, { query: 'query ($id: ID!) { vm(id: $id) { id } }', variables: { id: bravoVm } }, alphaToken);
    expect(read.body).toEqual({ data: { vm: null } });
    const before = await databaseFingerprint(platform.database.sql);
    const write = await postToSubgraph(platform.vms.url, { query: 'mutation ($id: ID!) { deleteVM(id: $id) { id } }', variables: { id: bravoVm } }, alphaToken);
    expect(write.body?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(await databaseFingerprint(platform.database.sql)).toEqual(before);
  });

  it("refuses a user's internal token for the gateway-only event feed", async () => {
    const response = await postToSubgraph(platform.vms.url, { query: '{ _eventFeed(stream: "vm") { endCursor } }' }, await internalTokenFor(platform.keys, { tenant: 'bravo', role: 'admin' }));
    expect(response.body?.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(response.body?.data ?? null).toBeNull();
  });
});
