export { decryptCredentials, encryptCredentials, parseCredentialKeys } from './credentialCipher.ts';
export type { CredentialKeys, EncryptedCredentials } from './credentialCipher.ts';
export { loadCredentialKeys } from './loadCredentialKeys.ts';
export type { CredentialKeySettings } from './loadCredentialKeys.ts';
