import { and, eq } from 'drizzle-orm';
import type { Database } from '../db/createDatabase.ts';
import { providerCredentials } from '../db/schema.ts';
import { decryptCredentials, type CredentialKeys } from '@novacron/secrets';

/**
 * The provider registry's `loadCredentials`: a tenant's stored credentials for a provider,
 * decrypted, or null when it stored none (the registry then keeps the simulated driver). `keys` may
 * be a loader, called (once) only when some tenant has credentials: a worker that never meets one
 * needs no key material.
 */
export function createCredentialsLoader(db: Database, keys: CredentialKeys | (() => Promise<CredentialKeys>)) {
  let loaded: Promise<CredentialKeys> | undefined;
  const keysNow = () => (loaded ??= typeof keys === 'function' ? keys() : Promise.resolve(keys));
  return async (tenantId: string, provider: string): Promise<Record<string, string> | null> => {
    const [row] = await db
      .select()
      .from(providerCredentials)
      .where(and(eq(providerCredentials.tenantId, tenantId), eq(providerCredentials.provider, provider)));
    if (!row) return null;
    return JSON.parse(decryptCredentials(await keysNow(), row, `${tenantId}:${provider}`)) as Record<string, string>;
  };
}
