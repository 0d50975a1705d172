import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decryptCredentials, encryptCredentials, parseCredentialKeys } from '../src/credentialCipher.ts';

const key = () => randomBytes(32).toString('base64');

describe('credential encryption', () => {
  it('round-trips a secret and never stores it in the clear', () => {
    const keys = parseCredentialKeys(`k1:${key()}`);
    const secret = JSON.stringify({ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG' });
    const stored = encryptCredentials(keys, secret, 'acme:aws');
    expect(stored.keyId).toBe('k1');
    expect(JSON.stringify(stored)).not.toContain('AKIAEXAMPLE');
    expect(decryptCredentials(keys, stored, 'acme:aws')).toBe(secret);
  });

  it('uses a fresh nonce every time', () => {
    const keys = parseCredentialKeys(`k1:${key()}`);
    expect(encryptCredentials(keys, 'same', 'a:b').ciphertext).not.toBe(encryptCredentials(keys, 'same', 'a:b').ciphertext);
  });

  it('refuses a ciphertext moved to another tenant or provider, or altered', () => {
    const keys = parseCredentialKeys(`k1:${key()}`);
    const stored = encryptCredentials(keys, 'secret', 'acme:aws');
    expect(() => decryptCredentials(keys, stored, 'other:aws')).toThrow();
    const tampered = { ...stored, ciphertext: Buffer.from('x'.repeat(6)).toString('base64') };
    expect(() => decryptCredentials(keys, tampered, 'acme:aws')).toThrow();
  });

  it('rotates: encrypts under the active key and still decrypts what older keys wrote', () => {
    const [oldKey, newKey] = [key(), key()];
    const before = parseCredentialKeys(`old:${oldKey}`);
    const stored = encryptCredentials(before, 'secret', 'acme:aws');
    const rotated = parseCredentialKeys(`new:${newKey},old:${oldKey}`);
    expect(encryptCredentials(rotated, 'secret', 'acme:aws').keyId).toBe('new');
    expect(decryptCredentials(rotated, stored, 'acme:aws')).toBe('secret');
    expect(() => decryptCredentials(parseCredentialKeys(`new:${newKey}`), stored, 'acme:aws')).toThrow(/unknown key old/);
  });

  it('rejects malformed key configuration', () => {
    expect(() => parseCredentialKeys('nokey')).toThrow();
    expect(() => parseCredentialKeys(`k1:${randomBytes(16).toString('base64')}`)).toThrow(/32 bytes/);
    expect(() => parseCredentialKeys(`k1:${key()}`, 'k2')).toThrow(/no active key/);
  });
});
