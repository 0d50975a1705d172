import { sql } from 'drizzle-orm';
import { badInput } from '@novacron/errors';
import { isCloudName, parseCloudCredentials, ProviderError, type ProviderRegistry } from '@novacron/providers';
import type { Database } from '../db/createDatabase.ts';
import { providerCredentials } from '../db/schema.ts';
import { encryptCredentials, type CredentialKeys } from '@novacron/secrets';
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
  assertDriverCanBeBuilt(request.provider, credentials);
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

/**
 * Runs the cloud driver's own credential parser, so a record no driver can be built from is refused
 * here (it used to be stored, and the tenant's provider calls then failed on every use).
 */
function assertDriverCanBeBuilt(provider: string, credentials: Record<string, string>): void {
  if (!isCloudName(provider)) return;
  try {
    parseCloudCredentials(provider, credentials);
  } catch (error) {
    if (error instanceof ProviderError) throw badInput(`input.${error.field ?? 'credentials'}`, error.message);
    throw error;
  }
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
