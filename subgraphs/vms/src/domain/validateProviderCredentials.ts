import { badInput } from '@novacron/errors';
import { validateLabels } from './validateLabels.ts';

/** The largest stored credential value: a GCP service-account key file is ~2.3 KB, an RSA-4096 one ~3.3 KB. */
export const maxLongCredentialLength = 16 * 1024;

/** The credential keys, per provider, that may exceed the 255-character label limit. Every other key keeps it. */
const longCredentialKeys: Readonly<Record<string, readonly string[]>> = {
  gcp: ['serviceAccountJson', 'privateKey'],
};

/**
 * Validates the flat map `setProviderCredentials` stores: the labels rules, except that a provider's
 * key-file fields may be up to 16 KB; a service-account JSON must be an object with a client email and private key.
 */
export function validateProviderCredentials(field: string, provider: string, credentials: unknown): Record<string, string> {
  const longKeys = longCredentialKeys[provider] ?? [];
  const validated = validateLabels(field, credentials, Object.fromEntries(longKeys.map((key) => [key, maxLongCredentialLength])));
  const keyFile = validated.serviceAccountJson;
  if (provider === 'gcp' && keyFile !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(keyFile);
    } catch {
      throw badInput(`${field}.serviceAccountJson`, 'serviceAccountJson must be the service-account key file (JSON)');
    }
    const key = parsed as Record<string, unknown> | null;
    if (typeof key !== 'object' || key === null || Array.isArray(key) || typeof key.client_email !== 'string' || typeof key.private_key !== 'string') {
      throw badInput(`${field}.serviceAccountJson`, 'serviceAccountJson must be a key file with client_email and private_key');
    }
  }
  return validated;
}
