/**
 * The GCP driver's mapping tables, kept apart so each row is tested: Compute Engine instance
 * statuses → NovaCron states; operation error codes and API error reasons → what they mean.
 */
import type { ProviderInstanceState } from '../ProviderDriver.ts';
import type { CloudErrorKind } from '../cloud/cloudError.ts';
import type { MetricKind } from '../cloud/metrics.ts';

/** Instance `status` → NovaCron state. GCE reports a stopped VM as TERMINATED; it deletes without a visible state (then 404). */
export const gceStatuses: Readonly<Record<string, ProviderInstanceState>> = Object.freeze({
  PROVISIONING: 'PENDING',
  STAGING: 'PENDING',
  RUNNING: 'RUNNING',
  STOPPING: 'STOPPING',
  SUSPENDING: 'STOPPING',
  TERMINATED: 'STOPPED',
  STOPPED: 'STOPPED',
  SUSPENDED: 'STOPPED',
  REPAIRING: 'ERROR',
});

/** Error codes found in a finished zone operation's `error.errors[].code`. */
export const gceOperationErrors: Readonly<Record<string, CloudErrorKind>> = Object.freeze({
  ZONE_RESOURCE_POOL_EXHAUSTED: 'capacity',
  ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS: 'capacity',
  RESOURCE_POOL_EXHAUSTED: 'capacity',
  QUOTA_EXCEEDED: 'quota',
  RESOURCE_NOT_FOUND: 'badInput',
  INVALID_FIELD_VALUE: 'badInput',
  RESOURCE_ALREADY_EXISTS: 'conflict',
  RESOURCE_NOT_READY: 'wrongState',
  PERMISSIONS_ERROR: 'auth',
  INTERNAL_ERROR: 'transient',
  RATE_LIMIT_EXCEEDED: 'throttled',
});

/** API error `reason`s (ErrorInfo / errors[].reason) → meaning; checked before the status code. */
export const gceErrorReasons: Readonly<Record<string, CloudErrorKind>> = Object.freeze({
  rateLimitExceeded: 'throttled',
  userRateLimitExceeded: 'throttled',
  RATE_LIMIT_EXCEEDED: 'throttled',
  quotaExceeded: 'quota',
  QUOTA_EXCEEDED: 'quota',
  ZONE_RESOURCE_POOL_EXHAUSTED: 'capacity',
  forbidden: 'auth',
  insufficientPermissions: 'auth',
  authError: 'auth',
  required: 'auth',
  invalid: 'badInput',
  badRequest: 'badInput',
  notFound: 'notFound',
  alreadyExists: 'conflict',
  resourceNotReady: 'wrongState',
  conditionNotMet: 'wrongState',
  backendError: 'transient',
  internalError: 'transient',
});

/** gRPC status codes (what google-gax reports) → meaning, when no reason is given. */
export const grpcCodes: Readonly<Record<number, CloudErrorKind>> = Object.freeze({
  3: 'badInput', // INVALID_ARGUMENT
  4: 'transient', // DEADLINE_EXCEEDED
  5: 'notFound', // NOT_FOUND
  6: 'conflict', // ALREADY_EXISTS
  7: 'auth', // PERMISSION_DENIED
  8: 'throttled', // RESOURCE_EXHAUSTED
  9: 'wrongState', // FAILED_PRECONDITION
  10: 'transient', // ABORTED
  13: 'transient', // INTERNAL
  14: 'transient', // UNAVAILABLE
  16: 'auth', // UNAUTHENTICATED
});

/** NovaCron image names → Compute Engine image families (resolved by GCE to the newest image). */
export const gceImages: Readonly<Record<string, string>> = Object.freeze({
  'ubuntu-24.04': 'projects/ubuntu-os-cloud/global/images/family/ubuntu-2404-lts-amd64',
  'ubuntu-22.04': 'projects/ubuntu-os-cloud/global/images/family/ubuntu-2204-lts',
  'debian-12': 'projects/debian-cloud/global/images/family/debian-12',
  'rocky-9': 'projects/rocky-linux-cloud/global/images/family/rocky-linux-9',
  'windows-2022': 'projects/windows-cloud/global/images/family/windows-2022',
});

/**
 * Cloud Monitoring metric types → NovaCron kinds. CPU utilization is a 0..1 fraction (×100);
 * byte counters are deltas summed per alignment period. Memory needs the Ops Agent in the guest.
 */
export const gceMetrics: readonly { type: string; kind: MetricKind; aligner: 'ALIGN_MEAN' | 'ALIGN_SUM'; scale: number }[] = Object.freeze([
  { type: 'compute.googleapis.com/instance/cpu/utilization', kind: 'CPU_PERCENT', aligner: 'ALIGN_MEAN', scale: 100 },
  { type: 'compute.googleapis.com/instance/network/received_bytes_count', kind: 'NETWORK_IN_BYTES', aligner: 'ALIGN_SUM', scale: 1 },
  { type: 'compute.googleapis.com/instance/network/sent_bytes_count', kind: 'NETWORK_OUT_BYTES', aligner: 'ALIGN_SUM', scale: 1 },
  { type: 'compute.googleapis.com/instance/disk/read_bytes_count', kind: 'DISK_READ_BYTES', aligner: 'ALIGN_SUM', scale: 1 },
  { type: 'compute.googleapis.com/instance/disk/write_bytes_count', kind: 'DISK_WRITE_BYTES', aligner: 'ALIGN_SUM', scale: 1 },
]);
