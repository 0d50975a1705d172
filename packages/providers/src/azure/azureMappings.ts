/**
 * The Azure driver's mapping tables, kept apart so each row is tested: a VM's instance-view
 * statuses (provisioning state, then power state) → NovaCron states; ARM error codes → meaning.
 */
import type { ProviderInstanceState } from '../ProviderDriver.ts';
import type { CloudErrorKind } from '../cloud/cloudError.ts';
import type { MetricKind } from '../cloud/metrics.ts';

/** `ProvisioningState/<x>` that decide the state by themselves; others defer to the power state. */
export const azureProvisioningStates: Readonly<Record<string, ProviderInstanceState>> = Object.freeze({
  creating: 'PENDING',
  deleting: 'DELETING',
  failed: 'ERROR',
});

/**
 * `PowerState/<x>` → NovaCron state. A `stopped` VM still bills compute; NovaCron's stop
 * deallocates, so STOPPED normally means `deallocated`. `stopped` is still reported as STOPPED
 * (someone powered it off outside NovaCron; the reconciler shows the drift).
 */
export const azurePowerStates: Readonly<Record<string, ProviderInstanceState>> = Object.freeze({
  starting: 'STARTING',
  running: 'RUNNING',
  stopping: 'STOPPING',
  stopped: 'STOPPED',
  deallocating: 'STOPPING',
  deallocated: 'STOPPED',
  unknown: 'ERROR',
});

/** Maps instance-view status codes to one NovaCron state. */
export function azureVmState(statusCodes: string[]): ProviderInstanceState {
  const provisioning = statusCodes.find((code) => code.startsWith('ProvisioningState/'))?.slice('ProvisioningState/'.length).toLowerCase();
  const power = statusCodes.find((code) => code.startsWith('PowerState/'))?.slice('PowerState/'.length).toLowerCase();
  const decided = provisioning ? azureProvisioningStates[provisioning] : undefined;
  if (decided) return decided;
  if (power) return azurePowerStates[power] ?? 'ERROR';
  return provisioning === 'succeeded' || provisioning === 'updating' ? 'PENDING' : 'ERROR';
}

/** ARM error codes → meaning. Codes missing here fall back on the HTTP status. */
export const armErrors: Readonly<Record<string, CloudErrorKind>> = Object.freeze({
  TooManyRequests: 'throttled',
  RetryableError: 'transient',
  InternalServerError: 'transient',
  ServiceUnavailable: 'transient',
  GatewayTimeout: 'transient',
  AllocationFailed: 'capacity',
  ZonalAllocationFailed: 'capacity',
  OverconstrainedAllocationRequest: 'capacity',
  OverconstrainedZonalAllocationRequest: 'capacity',
  SkuNotAvailable: 'capacity',
  QuotaExceeded: 'quota',
  OperationNotAllowed: 'wrongState',
  AuthenticationFailed: 'auth',
  InvalidAuthenticationToken: 'auth',
  InvalidAuthenticationTokenTenant: 'auth',
  ExpiredAuthenticationToken: 'auth',
  AuthorizationFailed: 'auth',
  LinkedAuthorizationFailed: 'auth',
  SubscriptionNotFound: 'auth',
  InvalidParameter: 'badInput',
  BadRequest: 'badInput',
  InvalidRequestContent: 'badInput',
  InvalidResourceName: 'badInput',
  InvalidResourceReference: 'badInput',
  PlatformImageNotFound: 'badInput',
  ImageNotFound: 'badInput',
  VMSizeNotSupported: 'badInput',
  LocationNotAvailableForResourceType: 'badInput',
  ResourceNotFound: 'notFound',
  NotFound: 'notFound',
  ResourceGroupNotFound: 'auth',
  PreconditionFailed: 'conflict',
  Conflict: 'conflict',
});

/** The request field an ARM bad-input code is about, when the code alone says it. */
export const armErrorFields: Readonly<Record<string, string>> = Object.freeze({
  PlatformImageNotFound: 'image',
  ImageNotFound: 'image',
  VMSizeNotSupported: 'instanceType',
  LocationNotAvailableForResourceType: 'region',
  InvalidResourceName: 'name',
});

/** NovaCron image names → Azure Marketplace image references. */
export const azureImages: Readonly<Record<string, { publisher: string; offer: string; sku: string; version: string }>> = Object.freeze({
  'ubuntu-24.04': { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' },
  'ubuntu-22.04': { publisher: 'Canonical', offer: '0001-com-ubuntu-server-jammy', sku: '22_04-lts-gen2', version: 'latest' },
  'debian-12': { publisher: 'Debian', offer: 'debian-12', sku: '12-gen2', version: 'latest' },
  'rocky-9': { publisher: 'resf', offer: 'rockylinux-x86_64', sku: '9-base', version: 'latest' },
  'windows-2022': { publisher: 'MicrosoftWindowsServer', offer: 'WindowsServer', sku: '2022-datacenter-azure-edition', version: 'latest' },
});

/**
 * Azure Monitor platform metrics of a VM → NovaCron kinds: CPU averaged, bytes totalled per
 * interval. Memory as a percentage needs the Azure Monitor agent in the guest.
 */
export const azureMetrics: readonly { name: string; kind: MetricKind; aggregation: 'average' | 'total' }[] = Object.freeze([
  { name: 'Percentage CPU', kind: 'CPU_PERCENT', aggregation: 'average' },
  { name: 'Network In Total', kind: 'NETWORK_IN_BYTES', aggregation: 'total' },
  { name: 'Network Out Total', kind: 'NETWORK_OUT_BYTES', aggregation: 'total' },
  { name: 'Disk Read Bytes', kind: 'DISK_READ_BYTES', aggregation: 'total' },
  { name: 'Disk Write Bytes', kind: 'DISK_WRITE_BYTES', aggregation: 'total' },
]);
