import { AsyncLocalStorage } from 'node:async_hooks';
import { ProviderError } from '@novacron/providers';
import type { Database } from '../db/createDatabase.ts';
import { decryptCredentials, type CredentialKeys, type EncryptedCredentials } from '@novacron/secrets';

const selectCredentials = 'select key_id as "keyId", nonce, ciphertext, auth_tag as "authTag" from vms.provider_credentials where tenant_id = $1 and provider = $2';

/** A tenant's stored credentials record for a provider (null: none stored), read ahead by the caller. */
export interface PrefetchedCredentials {
  tenantId: string;
  provider: string;
  record: EncryptedCredentials | null;
}

/**
 * The record the worker's claim read in its own statement (claimOperation.ts): a lookup of exactly
 * that tenant and provider made within `prefetchedCredentials.run(…)` uses it instead of asking the
 * database again (one round trip fewer per executed operation; the registry's API stays as it is).
 */
export const prefetchedCredentials = new AsyncLocalStorage<PrefetchedCredentials>();

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
    const prefetched = prefetchedCredentials.getStore();
    // Prepared: the worker asks once per executed operation (most tenants have no row), unless its claim read it.
    const [row] =
      prefetched && prefetched.tenantId === tenantId && prefetched.provider === provider
        ? [prefetched.record ?? undefined]
        : await db.$client.unsafe<EncryptedCredentials[]>(selectCredentials, [tenantId, provider], { prepare: true });
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
