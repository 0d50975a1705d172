import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInternalTokenVerifier, ensureDevelopmentKeys, memoizeTokenVerifier, type InternalTokenVerifier } from '@novacron/auth';
import type { VmsConfig } from './config.ts';
import { parseCredentialKeys, type CredentialKeys } from './domain/credentialCipher.ts';

/** The subgraph's security material. */
export interface VmsSecurity {
  verifyInternalToken: InternalTokenVerifier;
  credentialKeys: CredentialKeys;
}

/**
 * Loads the gateway's internal-token public key and the credentials encryption keys. In production
 * both must be configured; the embedded development default creates them under NOVACRON_KEYS_DIR.
 */
export async function loadSecurity(config: VmsConfig): Promise<VmsSecurity> {
  const { security } = config;
  if (config.production && (!security.internalTokenPublicKeyPem || !security.credentialKeys)) {
    throw new Error('production mode needs INTERNAL_TOKEN_PUBLIC_KEY(_FILE) and CREDENTIALS_KEYS');
  }
  const publicKeyPem = security.internalTokenPublicKeyPem ?? (await ensureDevelopmentKeys(security.keysDir)).internal.publicKeyPem;
  const credentialKeys = security.credentialKeys
    ? parseCredentialKeys(security.credentialKeys, security.credentialActiveKeyId)
    : parseCredentialKeys(`dev:${await developmentCredentialKey(security.keysDir)}`);
  // The gateway reuses a caller's internal token for a while: verify each one once.
  return { verifyInternalToken: memoizeTokenVerifier(createInternalTokenVerifier({ publicKeyPem })), credentialKeys };
}

async function developmentCredentialKey(folder: string): Promise<string> {
  const file = join(folder, 'credentials.key');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const key = randomBytes(32).toString('base64');
    await writeFile(file, `${key}\n`, { mode: 0o600, flag: 'wx' }).catch(() => {});
    return (await readFile(file, 'utf8')).trim();
  }
}
