import { randomBytes, randomInt, randomUUID } from 'node:crypto';

/** The clouds the simulation imitates; each is also the name of its driver. */
export type SimulatedProviderName = 'aws' | 'azure' | 'gcp';

/** The provider error codes one simulated cloud uses, shaped like that cloud's real ones. */
export interface SimulatedErrorCodes {
  /** The instance id is unknown to the provider. */
  notFound: string;
  /** The action is not allowed in the instance's current state. */
  incorrectState: string;
  /** A request field (instance type for resize, a create field) is invalid. */
  invalidParameter: string;
}

/** How one simulated cloud differs from the others: names, id shapes, error codes, resize rule. */
export interface SimulatedFlavour {
  name: SimulatedProviderName;
  displayName: string;
  resizeRequiresStop: boolean;
  errorCodes: SimulatedErrorCodes;
  /** Makes a provider id in the cloud's own format for a new instance. */
  newProviderId(instanceName: string): string;
}

const azureSubscription = '00000000-0000-0000-0000-000000000000';

/** The three simulated clouds. Error codes follow each cloud's API (EC2, ARM, GCE's canonical codes). */
export const simulatedFlavours: Readonly<Record<SimulatedProviderName, SimulatedFlavour>> = Object.freeze({
  aws: {
    name: 'aws',
    displayName: 'Amazon Web Services (simulated)',
    resizeRequiresStop: true,
    errorCodes: { notFound: 'InvalidInstanceID.NotFound', incorrectState: 'IncorrectInstanceState', invalidParameter: 'InvalidParameterValue' },
    newProviderId: () => `i-${randomHex17()}`,
  },
  azure: {
    name: 'azure',
    displayName: 'Microsoft Azure (simulated)',
    resizeRequiresStop: false,
    errorCodes: { notFound: 'ResourceNotFound', incorrectState: 'OperationNotAllowed', invalidParameter: 'InvalidParameter' },
    newProviderId: (instanceName) =>
      `/subscriptions/${azureSubscription}/resourceGroups/novacron-sim/providers/Microsoft.Compute/virtualMachines/` +
      `${azureResourceName(instanceName)}-${randomBytes(3).toString('hex')}`,
  },
  gcp: {
    name: 'gcp',
    displayName: 'Google Cloud (simulated)',
    resizeRequiresStop: true,
    errorCodes: { notFound: 'NOT_FOUND', incorrectState: 'FAILED_PRECONDITION', invalidParameter: 'INVALID_ARGUMENT' },
    // GCE instance ids are unsigned 64-bit numbers; 19 digits with no leading zero.
    newProviderId: () => `${randomInt(1, 10)}${Array.from({ length: 18 }, () => randomInt(0, 10)).join('')}`,
  },
});

/**
 * 17 random hex digits from a UUID v4 (its fixed version and variant digits left out): `randomUUID`
 * draws from a cached entropy pool, where `randomBytes` asked OpenSSL on every create (3 % of the
 * worker's CPU in the createVM bench's profile).
 */
function randomHex17(): string {
  const hex = randomUUID().replaceAll('-', '');
  return hex.slice(0, 12) + hex.slice(13, 16) + hex.slice(17, 19);
}

/** Azure resource names allow letters, digits, `.`, `_` and `-`; anything else becomes `-`. */
function azureResourceName(instanceName: string): string {
  const cleaned = instanceName.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 50);
  return cleaned === '' ? 'vm' : cleaned;
}

/** The images every simulated cloud accepts (exact names). */
export const simulatedImages: readonly string[] = Object.freeze(['ubuntu-24.04', 'ubuntu-22.04', 'debian-12', 'rocky-9', 'windows-2022']);
