import { describe, expect, it } from 'vitest';
import { parseCloudCredentials } from '../src/cloud/createCloudDriver.ts';
import { ProviderError } from '../src/ProviderError.ts';

function refusal(action: () => unknown): ProviderError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  }
  throw new Error('expected a refusal');
}

describe('parseCloudCredentials', () => {
  it('reads AWS access keys, or a role to assume', () => {
    expect(parseCloudCredentials('aws', { accessKeyId: 'AKIA1', secretAccessKey: 's' })).toEqual({ accessKeyId: 'AKIA1', secretAccessKey: 's' });
    expect(parseCloudCredentials('aws', { roleArn: 'arn:aws:iam::1:role/r', externalId: 'x' })).toMatchObject({ roleArn: 'arn:aws:iam::1:role/r', externalId: 'x' });
    expect(refusal(() => parseCloudCredentials('aws', { accessKeyId: 'AKIA1' }))).toMatchObject({ code: 'BAD_USER_INPUT', field: 'credentials.secretAccessKey' });
  });

  it('needs every Azure field', () => {
    const azure = { tenantId: 't', clientId: 'c', clientSecret: 's', subscriptionId: 'sub', resourceGroup: 'rg', subnetId: '/subscriptions/sub/x' };
    expect(parseCloudCredentials('azure', azure)).toEqual(azure);
    expect(refusal(() => parseCloudCredentials('azure', { ...azure, subnetId: '' }))).toMatchObject({ field: 'credentials.subnetId' });
  });

  it('reads a GCP key file or its fields, taking the project from the key when not given', () => {
    const key = { client_email: 'a@p.iam.gserviceaccount.com', private_key: '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n', project_id: 'from-key' };
    expect(parseCloudCredentials('gcp', { serviceAccountJson: JSON.stringify(key) })).toEqual({ project: 'from-key', serviceAccount: key });
    expect(parseCloudCredentials('gcp', { project: 'p', clientEmail: key.client_email, privateKey: '-----BEGIN PRIVATE KEY-----\\nx\\n-----END PRIVATE KEY-----\\n' }).serviceAccount?.private_key).toBe(key.private_key);
    expect(refusal(() => parseCloudCredentials('gcp', { serviceAccountJson: '{not json' }))).toMatchObject({ field: 'credentials.serviceAccountJson' });
    expect(refusal(() => parseCloudCredentials('gcp', { serviceAccountJson: JSON.stringify({ client_email: 'a' }) }))).toMatchObject({ field: 'credentials.serviceAccountJson' });
    expect(refusal(() => parseCloudCredentials('gcp', { clientEmail: 'a', privateKey: 'k' }))).toMatchObject({ field: 'credentials.project' });
  });
});
