import type { Catalog } from '@novacron/catalog';
import type { ProviderDriver } from '../ProviderDriver.ts';
import { createCloudDriver, type CloudDriverSettings } from './createCloudDriver.ts';

/** Where the cloud emulators listen and what they accept (what `startCloudEmulators()` of @novacron/cloud-emulators describes). */
export interface EmulatedClouds {
  aws: { endpoint: string; credentials: Record<string, string> };
  azure: { endpoint: string; authorityHost: string; certificate: string; credentials: Record<string, string> };
  gcp: { host: string; port: number; protocol: 'http' | 'https'; credentials: Record<string, string> };
}

/**
 * The real aws, azure and gcp drivers pointed at the emulators (endpoint overrides only; Azure
 * trusts the emulator's generated certificate through the SDK's agent option), and the settings
 * that point per-tenant drivers there too. Give both to `createProviderRegistry`.
 */
export function createEmulatedCloudDrivers(clouds: EmulatedClouds, options: { catalog?: Catalog; pollMs?: number } = {}): { drivers: ProviderDriver[]; cloud: CloudDriverSettings } {
  const pollMs = options.pollMs ?? 250;
  const cloud: CloudDriverSettings = {
    aws: { endpoint: clouds.aws.endpoint, pollHintMs: pollMs },
    azure: { endpoint: clouds.azure.endpoint, authorityHost: clouds.azure.authorityHost, ca: clouds.azure.certificate, pollIntervalMs: pollMs },
    gcp: { endpoint: { host: clouds.gcp.host, port: clouds.gcp.port, protocol: clouds.gcp.protocol }, pollHintMs: pollMs, retry: { initialDelayMs: 100 } },
    ...(options.catalog ? { catalog: options.catalog } : {}),
  };
  return {
    drivers: [createCloudDriver('aws', clouds.aws.credentials, cloud), createCloudDriver('azure', clouds.azure.credentials, cloud), createCloudDriver('gcp', clouds.gcp.credentials, cloud)],
    cloud,
  };
}

/**
 * Reads `NOVACRON_CLOUDS` from an environment: `emulated` needs `NOVACRON_CLOUD_EMULATORS` (the
 * emulators' JSON descriptor, set by the process that started them) and returns it; `simulated`
 * or unset returns undefined. Call it from a config module, the one place that reads the environment.
 */
export function emulatedCloudsFromEnvironment(env: Record<string, string | undefined>): EmulatedClouds | undefined {
  const mode = env.NOVACRON_CLOUDS ?? 'simulated';
  if (mode === 'simulated') return undefined;
  if (mode !== 'emulated') throw new Error(`NOVACRON_CLOUDS must be "simulated" or "emulated", not "${mode}"`);
  const descriptor = env.NOVACRON_CLOUD_EMULATORS;
  if (!descriptor) throw new Error('NOVACRON_CLOUDS=emulated needs NOVACRON_CLOUD_EMULATORS (set by the process that started the emulators: npm start does)');
  return JSON.parse(descriptor) as EmulatedClouds;
}
