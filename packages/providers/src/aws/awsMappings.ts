/**
 * The AWS driver's two mapping tables, kept apart from the driver so each row is tested: EC2
 * instance states → NovaCron states, and EC2 error codes → what they mean to NovaCron.
 */
import type { ProviderInstanceState } from '../ProviderDriver.ts';
import type { CloudErrorKind } from '../cloud/cloudError.ts';
import type { MetricKind } from '../cloud/metrics.ts';

/** EC2's `InstanceState.Name` → NovaCron state. EC2 reboots in place: a rebooting instance stays `running`. */
export const ec2States: Readonly<Record<string, ProviderInstanceState>> = Object.freeze({
  pending: 'PENDING',
  running: 'RUNNING',
  stopping: 'STOPPING',
  stopped: 'STOPPED',
  'shutting-down': 'DELETING',
  terminated: 'DELETED',
});

/** EC2 error codes → meaning. Codes missing here fall back on the HTTP status (5xx transient, else permanent). */
export const ec2Errors: Readonly<Record<string, CloudErrorKind>> = Object.freeze({
  RequestLimitExceeded: 'throttled',
  Throttling: 'throttled',
  ThrottlingException: 'throttled',
  InsufficientInstanceCapacity: 'capacity',
  InsufficientHostCapacity: 'capacity',
  InsufficientReservedInstanceCapacity: 'capacity',
  InsufficientCapacityOnHost: 'capacity',
  InstanceLimitExceeded: 'quota',
  VcpuLimitExceeded: 'quota',
  AddressLimitExceeded: 'quota',
  VolumeLimitExceeded: 'quota',
  AuthFailure: 'auth',
  UnauthorizedOperation: 'auth',
  InvalidClientTokenId: 'auth',
  SignatureDoesNotMatch: 'auth',
  MissingAuthenticationToken: 'auth',
  ExpiredToken: 'auth',
  OptInRequired: 'auth',
  AccessDenied: 'auth',
  InvalidParameterValue: 'badInput',
  InvalidParameter: 'badInput',
  InvalidParameterCombination: 'badInput',
  MissingParameter: 'badInput',
  'InvalidAMIID.NotFound': 'badInput',
  'InvalidAMIID.Malformed': 'badInput',
  Unsupported: 'badInput',
  IdempotentParameterMismatch: 'conflict',
  'InvalidInstanceID.NotFound': 'notFound',
  'InvalidInstanceID.Malformed': 'notFound',
  IncorrectInstanceState: 'wrongState',
  IncorrectState: 'wrongState',
  InternalError: 'transient',
  InternalFailure: 'transient',
  ServiceUnavailable: 'transient',
  Unavailable: 'transient',
  RequestTimeout: 'transient',
});

/** The request field an EC2 bad-input code is about, when the code alone says it. */
export const ec2ErrorFields: Readonly<Record<string, string>> = Object.freeze({
  'InvalidAMIID.NotFound': 'image',
  'InvalidAMIID.Malformed': 'image',
});

/**
 * NovaCron image names → how to find the newest matching public AMI in a region (owner account and
 * name pattern, as `aws ec2 describe-images` takes them). AMI ids differ per region, so they are
 * looked up, never hard-coded; an `ami-…` id is also accepted as is.
 */
export const awsImages: Readonly<Record<string, { owner: string; namePattern: string }>> = Object.freeze({
  'ubuntu-24.04': { owner: '099720109477', namePattern: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*' },
  'ubuntu-22.04': { owner: '099720109477', namePattern: 'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*' },
  'debian-12': { owner: '136693071363', namePattern: 'debian-12-amd64-*' },
  'rocky-9': { owner: '792107900819', namePattern: 'Rocky-9-EC2-Base-9.*x86_64' },
  'windows-2022': { owner: '801119661308', namePattern: 'Windows_Server-2022-English-Full-Base-*' },
});

/**
 * CloudWatch `AWS/EC2` metrics → NovaCron kinds. Bytes are summed per period; CPU is averaged.
 * Memory needs the CloudWatch agent in the guest, so it is not read. Nitro instances report EBS
 * volume traffic as EBSReadBytes/EBSWriteBytes (DiskReadBytes is instance store only).
 */
export const cloudWatchMetrics: readonly { name: string; kind: MetricKind; stat: 'Average' | 'Sum' }[] = Object.freeze([
  { name: 'CPUUtilization', kind: 'CPU_PERCENT', stat: 'Average' },
  { name: 'NetworkIn', kind: 'NETWORK_IN_BYTES', stat: 'Sum' },
  { name: 'NetworkOut', kind: 'NETWORK_OUT_BYTES', stat: 'Sum' },
  { name: 'EBSReadBytes', kind: 'DISK_READ_BYTES', stat: 'Sum' },
  { name: 'EBSWriteBytes', kind: 'DISK_WRITE_BYTES', stat: 'Sum' },
]);
