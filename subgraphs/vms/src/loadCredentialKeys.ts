import { loadCredentialKeys as loadKeys, type CredentialKeys } from '@novacron/secrets';
import type { VmsConfig } from './config.ts';

/**
 * Loads the keys provider credentials are encrypted with (`@novacron/secrets`): configured in
 * production, a development key under NOVACRON_KEYS_DIR otherwise. (Internal-token keys: the kit.)
 */
export function loadCredentialKeys(config: VmsConfig): Promise<CredentialKeys> {
  const { security } = config;
  return loadKeys({ production: config.production, credentialKeys: security.credentialKeys, credentialActiveKeyId: security.credentialActiveKeyId, keysDir: security.keysDir });
}
