import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { createLogger } from '@novacron/server-kit';
import { internalTokenHeader } from '@novacron/auth';
import { encryptCredentials } from '@novacron/secrets';
import { start, type RunningVmsSubgraph } from '../src/server.ts';
import { createTestKeys } from './support/internalTokens.ts';
import { testConfig } from './support/testConfig.ts';

let database: TestDatabase;
let subgraph: RunningVmsSubgraph;
let keys: Awaited<ReturnType<typeof createTestKeys>>;

interface GraphQLAnswer {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

async function post(token: string, query: string, variables: Record<string, unknown> = {}): Promise<GraphQLAnswer> {
  const response = await fetch(subgraph.url, { method: 'POST', headers: { 'content-type': 'application/json', [internalTokenHeader]: token }, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as GraphQLAnswer;
}

beforeAll(async () => {
  database = await createTestDatabase();
  keys = await createTestKeys();
  subgraph = await start(testConfig(database.url, { security: { internalTokenPublicKeyPem: undefined, internalTokenPrivateKeyPem: undefined, internalTokenKeyId: 'internal-1', credentialKeys: undefined, credentialActiveKeyId: undefined, keysDir: keys.keysDir } }), createLogger('test', 'silent'));
});
afterAll(async () => {
  await subgraph?.stop();
  await database?.drop();
});

const setCredentials = 'mutation ($input: ProviderCredentialsInput!) { setProviderCredentials(input: $input) { provider configured } }';
const providersQuery = '{ providers { name simulated regions { name } } }';

async function storedFor(tenantId: string) {
  return database.sql<{ provider: string; updated_by: string }[]>`select provider, updated_by from vms.provider_credentials where tenant_id = ${tenantId} order by provider`;
}

/** Writes a record straight into the store, as one written before credentials were validated. */
async function storeUnchecked(tenantId: string, provider: string, plaintext: string, associatedData = `${tenantId}:${provider}`) {
  const encrypted = encryptCredentials(subgraph.services.credentialKeys, plaintext, associatedData);
  await database.sql`
    insert into vms.provider_credentials (tenant_id, provider, key_id, nonce, ciphertext, auth_tag, updated_by)
    values (${tenantId}, ${provider}, ${encrypted.keyId}, ${encrypted.nonce}, ${encrypted.ciphertext}, ${encrypted.authTag}, 'legacy')`;
}

describe('setProviderCredentials validation', () => {
  it('refuses credentials no driver can be built from, naming the missing field, and writes nothing', async () => {
    const admin = await keys.forUser('umbrella', 'admin');
    const cases: [string, Record<string, string>, string][] = [
      ['aws', { secretAccessKey: 'no-key-id' }, 'input.credentials.accessKeyId'],
      ['aws', { accessKeyId: 'AKIAEXAMPLE' }, 'input.credentials.secretAccessKey'],
      ['gcp', { clientEmail: 'sa@example.iam.gserviceaccount.com', privateKey: 'k' }, 'input.credentials.project'],
      ['gcp', { project: 'p', serviceAccountJson: '{not json' }, 'input.credentials.serviceAccountJson'],
      ['azure', { tenantId: 't', clientId: 'c', clientSecret: 's', subscriptionId: 'sub', resourceGroup: 'rg' }, 'input.credentials.subnetId'],
    ];
    for (const [provider, credentials, field] of cases) {
      const result = await post(admin, setCredentials, { input: { provider, credentials } });
      expect(result.data?.setProviderCredentials ?? null).toBeNull();
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    expect(await storedFor('umbrella')).toEqual([]);
  });

  it('keeps the credentials already stored when a replacement is refused', async () => {
    const admin = await keys.forUser('cyberdyne', 'admin');
    const good = await post(admin, setCredentials, { input: { provider: 'aws', credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' } } });
    expect(good.errors).toBeUndefined();
    const [before] = await database.sql`select ciphertext from vms.provider_credentials where tenant_id = 'cyberdyne' and provider = 'aws'`;
    const refused = await post(admin, setCredentials, { input: { provider: 'aws', credentials: { roleArnTypo: 'arn:aws:iam::1:role/x' } } });
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.credentials.accessKeyId' });
    const [after] = await database.sql`select ciphertext from vms.provider_credentials where tenant_id = 'cyberdyne' and provider = 'aws'`;
    expect(after?.ciphertext).toEqual(before?.ciphertext);
  });

  it('accepts every cloud’s documented forms', async () => {
    const admin = await keys.forUser('hooli', 'admin');
    for (const [provider, credentials] of [
      ['aws', { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' }],
      ['aws', { roleArn: 'arn:aws:iam::123456789012:role/novacron', externalId: 'x' }],
      ['gcp', { project: 'hooli-prod', serviceAccountJson: JSON.stringify({ client_email: 'sa@hooli.iam.gserviceaccount.com', private_key: 'pem' }) }],
      ['azure', { tenantId: 't', clientId: 'c', clientSecret: 's', subscriptionId: 'sub', resourceGroup: 'rg', subnetId: '/subscriptions/sub/…/subnets/default' }],
    ] as const) {
      const result = await post(admin, setCredentials, { input: { provider, credentials } });
      expect(result.errors).toBeUndefined();
      expect(result.data?.setProviderCredentials).toEqual({ provider, configured: true });
    }
  });
});

describe('providers with a stored record no driver can use', () => {
  it('still lists every provider when a stored record lacks a required key', async () => {
    await storeUnchecked('initrode', 'aws', JSON.stringify({ secretAccessKey: 'no-key-id' }));
    const result = await post(await keys.forUser('initrode', 'viewer'), providersQuery);
    expect(result.errors).toBeUndefined();
    const providers = result.data?.providers as { name: string; simulated: boolean }[];
    expect(providers.map((provider) => provider.name)).toEqual(['aws', 'azure', 'gcp']);
    expect(providers.find((provider) => provider.name === 'aws')?.simulated).toBe(false);
  });

  it('still lists every provider when a stored record cannot be decrypted, and fails that provider’s calls with a coded error', async () => {
    // Sealed for another tenant: the authentication tag does not match this tenant's record.
    await storeUnchecked('vandelay', 'gcp', JSON.stringify({ project: 'p', clientEmail: 'e', privateKey: 'k' }), 'someone-else:gcp');
    const viewer = await keys.forUser('vandelay', 'viewer');
    const result = await post(viewer, providersQuery);
    expect(result.errors).toBeUndefined();
    expect((result.data?.providers as { name: string }[]).map((provider) => provider.name)).toEqual(['aws', 'azure', 'gcp']);
    const driver = await subgraph.services.providers.forTenant('vandelay', 'gcp');
    const error = await driver!.get('any-instance').then(() => null, (caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'PROVIDER_AUTH', providerCode: 'UnreadableCredentials' });
    expect((error as Error).message).not.toMatch(/someone-else|privateKey/);
  });
});
