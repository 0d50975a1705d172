import { and, eq } from 'drizzle-orm';
import type { Database } from '../db/createDatabase.ts';
import { providerCredentials } from '../db/schema.ts';
import { decryptCredentials, type CredentialKeys } from './credentialCipher.ts';

/**
 * The provider registry's `loadCredentials`: a tenant's stored credentials for a provider,
 * decrypted, or null when it stored none (the registry then keeps the simulated driver).
 */
export function createCredentialsLoader(db: Database, keys: CredentialKeys) {
  return async (tenantId: string, provider: string): Promise<Record<string, string> | null> => {
    const [row] = await db
      .select()
      .from(providerCredentials)
      .where(and(eq(providerCredentials.tenantId, tenantId), eq(providerCredentials.provider, provider)));
    if (!row) return null;
    return JSON.parse(decryptCredentials(keys, row, `${tenantId}:${provider}`)) as Record<string, string>;
  };
}
