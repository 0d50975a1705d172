import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { VmsConfig } from './config.ts';
import { parseCredentialKeys, type CredentialKeys } from './domain/credentialCipher.ts';

/**
 * Loads the keys provider credentials are encrypted with. In production they must be configured; the
 * embedded development default creates one under NOVACRON_KEYS_DIR. (Internal-token keys: the kit.)
 */
export async function loadCredentialKeys(config: VmsConfig): Promise<CredentialKeys> {
  const { security } = config;
  if (config.production && !security.credentialKeys) throw new Error('production mode needs CREDENTIALS_KEYS');
  return security.credentialKeys
    ? parseCredentialKeys(security.credentialKeys, security.credentialActiveKeyId)
    : parseCredentialKeys(`dev:${await developmentCredentialKey(security.keysDir)}`);
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
