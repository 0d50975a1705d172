import { sql } from 'drizzle-orm';
import { badInput } from '@novacron/errors';
import type { ProviderRegistry } from '@novacron/providers';
import type { Database } from '../db/createDatabase.ts';
import { providerCredentials } from '../db/schema.ts';
import { encryptCredentials, type CredentialKeys } from './credentialCipher.ts';
import { validateProviderCredentials } from './validateProviderCredentials.ts';

/** What the API shows of stored credentials: that they exist, never what they are. */
export interface CredentialsStatus {
  provider: string;
  configured: boolean;
  keyId: string | null;
  updatedAt: Date | null;
  updatedBy: string | null;
}

/** Encrypts and stores (or replaces) a tenant's credentials for one provider. */
export async function setProviderCredentials(
  db: Database,
  providers: ProviderRegistry,
  keys: CredentialKeys,
  request: { tenantId: string; actor: string; provider: string; credentials: unknown },
): Promise<CredentialsStatus> {
  if (!providers.get(request.provider)) throw badInput('input.provider', `unknown provider "${request.provider.slice(0, 80)}"`);
  const credentials = validateProviderCredentials('input.credentials', request.provider, request.credentials);
  if (Object.keys(credentials).length === 0) throw badInput('input.credentials', 'credentials must not be empty');
  const encrypted = encryptCredentials(keys, JSON.stringify(credentials), `${request.tenantId}:${request.provider}`);
  const [row] = await db
    .insert(providerCredentials)
    .values({ tenantId: request.tenantId, provider: request.provider, ...encrypted, updatedBy: request.actor })
    .onConflictDoUpdate({
      target: [providerCredentials.tenantId, providerCredentials.provider],
      set: { ...encrypted, updatedBy: request.actor, updatedAt: sql`now()` },
    })
    .returning({ keyId: providerCredentials.keyId, updatedAt: providerCredentials.updatedAt, updatedBy: providerCredentials.updatedBy });
  return { provider: request.provider, configured: true, keyId: row?.keyId ?? null, updatedAt: row?.updatedAt ?? null, updatedBy: row?.updatedBy ?? null };
}

/** Which providers have credentials for a tenant. */
export async function listCredentialStatus(db: Database, providers: ProviderRegistry, tenantId: string): Promise<CredentialsStatus[]> {
  const rows = await db
    .select({ provider: providerCredentials.provider, keyId: providerCredentials.keyId, updatedAt: providerCredentials.updatedAt, updatedBy: providerCredentials.updatedBy })
    .from(providerCredentials)
    .where(sql`${providerCredentials.tenantId} = ${tenantId}`);
  const byProvider = new Map(rows.map((row) => [row.provider, row]));
  return providers.list().map((driver) => {
    const row = byProvider.get(driver.name);
    return { provider: driver.name, configured: Boolean(row), keyId: row?.keyId ?? null, updatedAt: row?.updatedAt ?? null, updatedBy: row?.updatedBy ?? null };
  });
}
