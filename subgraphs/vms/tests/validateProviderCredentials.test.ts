import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError } from '@novacron/errors';
import { maxLongCredentialLength, validateProviderCredentials } from '../src/domain/validateProviderCredentials.ts';

function caught(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 4096 });
const keyFile = JSON.stringify({
  type: 'service_account',
  project_id: 'p',
  private_key_id: 'a'.repeat(40),
  private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  client_email: 'novacron@p.iam.gserviceaccount.com',
});

describe('validateProviderCredentials', () => {
  it('accepts a GCP service-account key file far longer than 255 characters', () => {
    expect(keyFile.length).toBeGreaterThan(3_000);
    expect(validateProviderCredentials('input.credentials', 'gcp', { project: 'p', serviceAccountJson: keyFile })).toEqual({ project: 'p', serviceAccountJson: keyFile });
  });

  it('refuses a key file over 16 KB, naming the field', () => {
    const error = caught(() => validateProviderCredentials('input.credentials', 'gcp', { serviceAccountJson: ' '.repeat(maxLongCredentialLength + 1) }));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.extensions.field).toBe('input.credentials.serviceAccountJson');
  });

  it('refuses a service-account value that is not a key file', () => {
    for (const value of ['not json', '[1]', JSON.stringify({ client_email: 'x@y' })]) {
      const error = caught(() => validateProviderCredentials('input.credentials', 'gcp', { serviceAccountJson: value }));
      expect(error.code).toBe('BAD_USER_INPUT');
      expect(error.extensions.field).toBe('input.credentials.serviceAccountJson');
    }
  });

  it('keeps the 255-character limit for every other field and provider', () => {
    const long = 'x'.repeat(256);
    expect(caught(() => validateProviderCredentials('input.credentials', 'gcp', { project: long })).extensions.field).toBe('input.credentials.project');
    expect(caught(() => validateProviderCredentials('input.credentials', 'aws', { secretAccessKey: long })).extensions.field).toBe('input.credentials.secretAccessKey');
    expect(caught(() => validateProviderCredentials('input.credentials', 'aws', { serviceAccountJson: keyFile })).extensions.field).toBe('input.credentials.serviceAccountJson');
  });
});
