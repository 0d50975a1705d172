import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { createLogger } from '@novacron/server-kit';
import { internalTokenHeader } from '@novacron/auth';
import { decryptCredentials } from '@novacron/secrets';
import { inputDigest } from '../src/domain/inputDigest.ts';
import { start, type RunningVmsSubgraph } from '../src/server.ts';
import { createTestKeys } from './support/internalTokens.ts';
import { testConfig } from './support/testConfig.ts';

let database: TestDatabase;
let subgraph: RunningVmsSubgraph;
let keys: Awaited<ReturnType<typeof createTestKeys>>;

async function post(token: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(subgraph.url, { method: 'POST', headers: { 'content-type': 'application/json', [internalTokenHeader]: token }, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
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

const setCredentials = 'mutation ($input: ProviderCredentialsInput!) { setProviderCredentials(input: $input) { provider configured keyId updatedBy } }';

describe('provider credentials', () => {
  it('stores credentials encrypted at rest, shows only their status, and audits the change', async () => {
    const admin = await keys.forUser('acme', 'admin');
    const result = await post(admin, setCredentials, { input: { provider: 'aws', credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'very-secret-value' } } });
    expect(result.errors).toBeUndefined();
    expect(result.data?.setProviderCredentials).toEqual({ provider: 'aws', configured: true, keyId: 'dev', updatedBy: 'admin@acme' });

    const [row] = await database.sql`select * from vms.provider_credentials where tenant_id = 'acme'`;
    expect(JSON.stringify(row)).not.toMatch(/AKIAEXAMPLE|very-secret-value/);
    const decrypted = decryptCredentials(subgraph.services.credentialKeys, { keyId: row?.key_id, nonce: row?.nonce, ciphertext: row?.ciphertext, authTag: row?.auth_tag }, 'acme:aws');
    expect(JSON.parse(decrypted)).toEqual({ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'very-secret-value' });

    const status = await post(admin, '{ providerCredentials { provider configured } }');
    expect(status.data?.providerCredentials).toEqual([
      { provider: 'aws', configured: true },
      { provider: 'azure', configured: false },
      { provider: 'gcp', configured: false },
    ]);
    const audit = await post(admin, '{ auditLog(filter: { action: "setProviderCredentials" }) { totalCount edges { node { actor outcome targetId inputDigest } } } }');
    const entry = (audit.data?.auditLog as { edges: { node: Record<string, string> }[] }).edges[0]?.node;
    expect(entry).toMatchObject({ actor: 'admin@acme', outcome: 'SUCCEEDED', targetId: 'aws' });
    expect(entry?.inputDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(audit)).not.toContain('very-secret-value');
  });

  it('keeps no trace of the secret in the audit log, not even a digest of it', async () => {
    const admin = await keys.forUser('initech', 'admin');
    for (const secret of ['first-secret', 'second-secret']) {
      const result = await post(admin, setCredentials, { input: { provider: 'gcp', credentials: { project: 'initech', clientEmail: 'sa@initech.iam.gserviceaccount.com', privateKey: secret } } });
      expect(result.errors).toBeUndefined();
    }
    const rows = await database.sql<{ input_digest: string }[]>`select input_digest from vms.audit_log where tenant_id = 'initech' and action = 'setProviderCredentials' order by created_at`;
    expect(rows).toHaveLength(2);
    // Two different secrets leave the same record: the digest is a function of the field names only.
    expect(rows[0]?.input_digest).toBe(rows[1]?.input_digest);
    expect(rows[0]?.input_digest).not.toBe(inputDigest('setProviderCredentials', { input: { provider: 'gcp', credentials: { project: 'initech', clientEmail: 'sa@initech.iam.gserviceaccount.com', privateKey: 'first-secret' } } }));
  });

  it('refuses credentials from an operator, and audits the refusal', async () => {
    const operator = await keys.forUser('acme', 'operator');
    const result = await post(operator, setCredentials, { input: { provider: 'aws', credentials: { key: 'x' } } });
    expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const [refused] = await database.sql`select outcome, error_code, actor from vms.audit_log where action = 'setProviderCredentials' and actor = 'operator@acme'`;
    expect(refused).toMatchObject({ outcome: 'FAILED', error_code: 'FORBIDDEN' });
  });

  it('keeps each tenant to its own audit log and settings', async () => {
    const other = await keys.forUser('globex', 'admin');
    const audit = await post(other, '{ auditLog { totalCount } }');
    expect((audit.data?.auditLog as { totalCount: number }).totalCount).toBe(0);
    const updated = await post(other, 'mutation { updateTenantSettings(input: { displayName: "Globex", contactEmail: "ops@globex.example" }) { tenantId displayName } }');
    expect(updated.data?.updateTenantSettings).toEqual({ tenantId: 'globex', displayName: 'Globex' });
    const acme = await post(await keys.forUser('acme', 'viewer'), '{ tenantSettings { tenantId displayName } }');
    expect(acme.data?.tenantSettings).toEqual({ tenantId: 'acme', displayName: 'acme' });
    const bad = await post(other, 'mutation { updateTenantSettings(input: { displayName: "", contactEmail: "nope" }) { tenantId } }');
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.displayName' });
  });
});
