import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCredentialKeys, type CredentialKeys } from './credentialCipher.ts';

/** Where a subgraph's key ring comes from (its config, read from the environment once). */
export interface CredentialKeySettings {
  production: boolean;
  /** `CREDENTIALS_KEYS`: `kid:base64key,…`. */
  credentialKeys: string | undefined;
  /** `CREDENTIALS_ACTIVE_KEY_ID`: the key new secrets are encrypted with (default: the first). */
  credentialActiveKeyId: string | undefined;
  /** `NOVACRON_KEYS_DIR`: where the development key is created and kept. */
  keysDir: string;
}

/**
 * Loads the keys secrets at rest are encrypted with. In production they must be configured; the
 * embedded development default creates one under NOVACRON_KEYS_DIR (`credentials.key`), shared by
 * every subgraph of a development platform. (Internal-token keys: the subgraph kit.)
 */
export async function loadCredentialKeys(settings: CredentialKeySettings): Promise<CredentialKeys> {
  if (settings.production && !settings.credentialKeys) throw new Error('production mode needs CREDENTIALS_KEYS');
  return settings.credentialKeys
    ? parseCredentialKeys(settings.credentialKeys, settings.credentialActiveKeyId)
    : parseCredentialKeys(`dev:${await developmentCredentialKey(settings.keysDir)}`);
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
