import type { Catalog } from '@novacron/catalog';
import type { ProviderDriver } from '../ProviderDriver.ts';
import { cloudError } from './cloudError.ts';
import { createAwsDriver, type AwsCredentials } from '../aws/createAwsDriver.ts';
import { createAzureDriver, type AzureCredentials } from '../azure/createAzureDriver.ts';
import { createGcpDriver, type GcpCredentials, type GcpServiceAccountKey } from '../gcp/createGcpDriver.ts';

/** The clouds NovaCron has real drivers for. */
export type CloudName = 'aws' | 'azure' | 'gcp';

/** Where real drivers send their calls when not to the public clouds (the emulators), and how they behave. */
export interface CloudDriverSettings {
  aws?: { endpoint?: string; maxAttempts?: number; regions?: string[]; pollHintMs?: number };
  azure?: { endpoint?: string; authorityHost?: string; ca?: string; pollIntervalMs?: number };
  gcp?: { endpoint?: { host: string; port: number; protocol: 'http' | 'https' }; pollHintMs?: number; retry?: { maxRetries?: number; initialDelayMs?: number } };
  catalog?: Catalog;
}

/** True for a provider name with a real driver. */
export function isCloudName(name: string): name is CloudName {
  return name === 'aws' || name === 'azure' || name === 'gcp';
}

/**
 * Turns the flat map a tenant stores with `setProviderCredentials` into a cloud's typed
 * credentials. Keys per cloud (see docs/clouds.md):
 * - aws: `accessKeyId` + `secretAccessKey` (+ `sessionToken`), and/or `roleArn` (+ `externalId`)
 * - azure: `tenantId`, `clientId`, `clientSecret`, `subscriptionId`, `resourceGroup`, `subnetId`
 * - gcp: `project` and either `serviceAccountJson` (the key file) or `clientEmail` + `privateKey` (+ `privateKeyId`)
 * A missing key is a BAD_USER_INPUT ProviderError naming `credentials.<key>`.
 */
export function parseCloudCredentials(cloud: 'aws', stored: Record<string, string>): AwsCredentials;
export function parseCloudCredentials(cloud: 'azure', stored: Record<string, string>): AzureCredentials;
export function parseCloudCredentials(cloud: 'gcp', stored: Record<string, string>): GcpCredentials;
export function parseCloudCredentials(cloud: CloudName, stored: Record<string, string>): AwsCredentials | AzureCredentials | GcpCredentials;
export function parseCloudCredentials(cloud: CloudName, stored: Record<string, string>): AwsCredentials | AzureCredentials | GcpCredentials {
  const need = (key: string): string => {
    const value = stored[key];
    if (!value) throw cloudError('badInput', 'MissingCredential', `${cloud} credentials need "${key}"`, { field: `credentials.${key}` });
    return value;
  };
  switch (cloud) {
    case 'aws':
      if (stored.roleArn) {
        return { roleArn: stored.roleArn, externalId: stored.externalId, accessKeyId: stored.accessKeyId, secretAccessKey: stored.secretAccessKey };
      }
      return { accessKeyId: need('accessKeyId'), secretAccessKey: need('secretAccessKey'), ...(stored.sessionToken ? { sessionToken: stored.sessionToken } : {}) };
    case 'azure':
      return {
        tenantId: need('tenantId'),
        clientId: need('clientId'),
        clientSecret: need('clientSecret'),
        subscriptionId: need('subscriptionId'),
        resourceGroup: need('resourceGroup'),
        subnetId: need('subnetId'),
      };
    case 'gcp': {
      if (stored.serviceAccountJson) {
        let key: GcpServiceAccountKey;
        try {
          key = JSON.parse(stored.serviceAccountJson) as GcpServiceAccountKey;
        } catch {
          throw cloudError('badInput', 'MalformedCredential', 'gcp credentials: serviceAccountJson is not JSON', { field: 'credentials.serviceAccountJson' });
        }
        if (!key.client_email || !key.private_key) {
          throw cloudError('badInput', 'MalformedCredential', 'gcp credentials: serviceAccountJson lacks client_email or private_key', { field: 'credentials.serviceAccountJson' });
        }
        return { project: stored.project ?? key.project_id ?? need('project'), serviceAccount: key };
      }
      return {
        project: need('project'),
        serviceAccount: { client_email: need('clientEmail'), private_key: need('privateKey').replace(/\\n/g, '\n'), ...(stored.privateKeyId ? { private_key_id: stored.privateKeyId } : {}) },
      };
    }
  }
}

/** Builds a cloud's real driver from a tenant's stored credentials. */
export function createCloudDriver(cloud: CloudName, stored: Record<string, string>, settings: CloudDriverSettings = {}): ProviderDriver {
  const catalog = settings.catalog;
  switch (cloud) {
    case 'aws':
      return createAwsDriver({ credentials: parseCloudCredentials('aws', stored), ...settings.aws, ...(catalog ? { catalog } : {}) });
    case 'azure':
      return createAzureDriver({ credentials: parseCloudCredentials('azure', stored), ...settings.azure, ...(catalog ? { catalog } : {}) });
    case 'gcp':
      return createGcpDriver({ credentials: parseCloudCredentials('gcp', stored), ...settings.gcp, ...(catalog ? { catalog } : {}) });
  }
}
