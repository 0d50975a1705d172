import { ProviderError } from '@novacron/providers';
import type { Database } from '../db/createDatabase.ts';
import { decryptCredentials, type CredentialKeys, type EncryptedCredentials } from '@novacron/secrets';

const selectCredentials = 'select key_id as "keyId", nonce, ciphertext, auth_tag as "authTag" from vms.provider_credentials where tenant_id = $1 and provider = $2';

/**
 * The provider registry's `loadCredentials`: a tenant's stored credentials for a provider,
 * decrypted, or null when it stored none (the registry then keeps the simulated driver). `keys` may
 * be a loader, called (once) only when some tenant has credentials: a worker that never meets one
 * needs no key material. A record that cannot be read (its key retired, the row damaged or sealed
 * for another tenant) is a PROVIDER_AUTH ProviderError: the registry fails that provider's calls with
 * it, and the tenant's other providers and the `providers` list keep working.
 */
export function createCredentialsLoader(db: Database, keys: CredentialKeys | (() => Promise<CredentialKeys>)) {
  let loaded: Promise<CredentialKeys> | undefined;
  const keysNow = () => (loaded ??= typeof keys === 'function' ? keys() : Promise.resolve(keys));
  return async (tenantId: string, provider: string): Promise<Record<string, string> | null> => {
    // Prepared: the worker asks once per executed operation (most tenants have no row).
    const [row] = await db.$client.unsafe<EncryptedCredentials[]>(selectCredentials, [tenantId, provider], { prepare: true });
    if (!row) return null;
    const credentialKeys = await keysNow();
    try {
      const stored: unknown = JSON.parse(decryptCredentials(credentialKeys, row, `${tenantId}:${provider}`));
      if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) throw new Error('the decrypted record is not an object');
      return stored as Record<string, string>;
    } catch (error) {
      // The cause stays for the logs; the message names neither key material nor contents.
      throw new ProviderError('UnreadableCredentials', `the stored ${provider} credentials (key "${row.keyId}") cannot be read: store them again with setProviderCredentials`, {
        code: 'PROVIDER_AUTH',
        transient: false,
        cause: error,
      });
    }
  };
}
