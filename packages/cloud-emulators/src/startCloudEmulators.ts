import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { startAzureEmulator, type AzureEmulator } from './azure/startAzureEmulator.ts';
import { startEc2Emulator, type Ec2Emulator } from './ec2/startEc2Emulator.ts';
import { startGceEmulator, type GceEmulator } from './gce/startGceEmulator.ts';

/**
 * Everything a process needs to reach the three emulators: endpoints, the certificate to trust and
 * the credentials they accept, in the shape a tenant stores them. Plain JSON, so a supervisor can
 * hand it to child processes (NOVACRON_CLOUD_EMULATORS).
 */
export interface CloudEmulatorsDescriptor {
  aws: { endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  azure: {
    endpoint: string;
    authorityHost: string;
    /** PEM certificate of the TLS endpoint, generated at start. */
    certificate: string;
    credentials: { tenantId: string; clientId: string; clientSecret: string; subscriptionId: string; resourceGroup: string; subnetId: string };
  };
  gcp: { host: string; port: number; protocol: 'http'; credentials: { project: string; serviceAccountJson: string } };
}

/** The three running emulators. */
export interface RunningCloudEmulators {
  descriptor: CloudEmulatorsDescriptor;
  ec2: Ec2Emulator;
  azure: AzureEmulator;
  gce: GceEmulator;
  close(): Promise<void>;
}

/**
 * Starts the EC2, Azure and Compute Engine emulators on loopback ports with fresh credentials (an
 * access key, a service principal, a service-account key pair): what `NOVACRON_CLOUDS=emulated`
 * runs the real drivers against. Latency (1.5 s by default) makes transitions visible in demos.
 */
export async function startCloudEmulators(options: { latencyMs?: number; capacityPerRegion?: number } = {}): Promise<RunningCloudEmulators> {
  const latencyMs = options.latencyMs ?? 1_500;
  const accessKeyId = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(30).toString('base64url');
  const tenantId = randomUUID();
  const clientId = randomUUID();
  const clientSecret = randomBytes(24).toString('base64url');
  const subscriptionId = randomUUID();
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const project = 'novacron-emulated';
  const serviceAccount = {
    type: 'service_account',
    project_id: project,
    private_key_id: randomBytes(20).toString('hex'),
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: `novacron@${project}.iam.gserviceaccount.com`,
  };
  const [ec2, azure, gce] = await Promise.all([
    startEc2Emulator({ credentials: { [accessKeyId]: secretAccessKey }, latencyMs, capacityPerRegion: options.capacityPerRegion }),
    startAzureEmulator({ servicePrincipals: { [clientId]: { tenantId, secret: clientSecret } }, latencyMs, capacityPerLocation: options.capacityPerRegion }),
    startGceEmulator({ serviceAccounts: { [serviceAccount.client_email]: publicKey.export({ type: 'spki', format: 'pem' }).toString() }, latencyMs, capacityPerZone: options.capacityPerRegion }),
  ]);
  const descriptor: CloudEmulatorsDescriptor = {
    aws: { endpoint: ec2.url, credentials: { accessKeyId, secretAccessKey } },
    azure: {
      endpoint: azure.url,
      authorityHost: azure.url,
      certificate: azure.certificate,
      credentials: {
        tenantId,
        clientId,
        clientSecret,
        subscriptionId,
        resourceGroup: 'novacron',
        subnetId: `/subscriptions/${subscriptionId}/resourceGroups/novacron/providers/Microsoft.Network/virtualNetworks/novacron/subnets/default`,
      },
    },
    gcp: { host: '127.0.0.1', port: gce.port, protocol: 'http', credentials: { project, serviceAccountJson: JSON.stringify(serviceAccount) } },
  };
  return {
    descriptor,
    ec2,
    azure,
    gce,
    close: async () => {
      await Promise.all([ec2.close(), azure.close(), gce.close()]);
    },
  };
}
