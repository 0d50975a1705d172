import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** The keys credentials are encrypted with: one active, older ones kept for decryption during rotation. */
export interface CredentialKeys {
  activeKeyId: string;
  keys: ReadonlyMap<string, Buffer>;
}

/** An encrypted secret as stored (base64 fields). */
export interface EncryptedCredentials {
  keyId: string;
  nonce: string;
  ciphertext: string;
  authTag: string;
}

/**
 * Parses `CREDENTIALS_KEYS` (`kid:base64key,kid2:base64key`, 32-byte keys); the first is active
 * unless `activeKeyId` names another.
 */
export function parseCredentialKeys(spec: string, activeKeyId?: string): CredentialKeys {
  const keys = new Map<string, Buffer>();
  for (const part of spec.split(',').map((entry) => entry.trim()).filter(Boolean)) {
    const separator = part.indexOf(':');
    const id = part.slice(0, separator);
    const key = Buffer.from(part.slice(separator + 1), 'base64');
    if (separator < 1 || !/^[A-Za-z0-9_.-]{1,64}$/.test(id)) throw new Error('CREDENTIALS_KEYS entries look like <key id>:<base64 32-byte key>');
    if (key.length !== 32) throw new Error(`credentials key ${id} must be 32 bytes (AES-256)`);
    keys.set(id, key);
  }
  const active = activeKeyId ?? keys.keys().next().value;
  if (!active || !keys.has(active)) throw new Error('CREDENTIALS_KEYS has no active key');
  return { activeKeyId: active, keys };
}

/**
 * Encrypts with AES-256-GCM under the active key. `associatedData` (tenant and provider) binds the
 * ciphertext to its row: moved to another row, it no longer decrypts.
 */
export function encryptCredentials(keys: CredentialKeys, plaintext: string, associatedData: string): EncryptedCredentials {
  const key = keys.keys.get(keys.activeKeyId) as Buffer;
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(associatedData));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { keyId: keys.activeKeyId, nonce: nonce.toString('base64'), ciphertext: ciphertext.toString('base64'), authTag: cipher.getAuthTag().toString('base64') };
}

/** Decrypts with the key the record names; throws when the key is unknown or the data was altered. */
export function decryptCredentials(keys: CredentialKeys, record: EncryptedCredentials, associatedData: string): string {
  const key = keys.keys.get(record.keyId);
  if (!key) throw new Error(`credentials are encrypted under an unknown key ${record.keyId}`);
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(record.nonce, 'base64'));
  decipher.setAAD(Buffer.from(associatedData));
  decipher.setAuthTag(Buffer.from(record.authTag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(record.ciphertext, 'base64')), decipher.final()]).toString('utf8');
}
