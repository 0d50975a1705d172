import { describe, expect, it } from 'vitest';
import { EC2ServiceException } from '@aws-sdk/client-ec2';
import { RestError } from '@azure/core-rest-pipeline';
import { awsProviderError } from '../src/aws/createAwsDriver.ts';
import { ec2Errors, ec2States } from '../src/aws/awsMappings.ts';
import { azureProviderError } from '../src/azure/createAzureDriver.ts';
import { armErrors, azurePowerStates, azureProvisioningStates, azureVmState } from '../src/azure/azureMappings.ts';
import { gcpOperationError, gcpProviderError } from '../src/gcp/createGcpDriver.ts';
import { gceErrorReasons, gceOperationErrors, gceStatuses } from '../src/gcp/gcpMappings.ts';
import type { ProviderErrorCode } from '../src/ProviderError.ts';

type Expected = [code: ProviderErrorCode, transient: boolean];
const throttled: Expected = ['PROVIDER_ERROR', true];
const transient: Expected = ['PROVIDER_ERROR', true];
const capacity: Expected = ['PROVIDER_CAPACITY', false];
const quota: Expected = ['PROVIDER_QUOTA', false];
const auth: Expected = ['PROVIDER_AUTH', false];
const badInput: Expected = ['BAD_USER_INPUT', false];
const notFound: Expected = ['NOT_FOUND', false];
const conflict: Expected = ['CONFLICT', false];

describe('EC2 mapping tables', () => {
  const states = { pending: 'PENDING', running: 'RUNNING', stopping: 'STOPPING', stopped: 'STOPPED', 'shutting-down': 'DELETING', terminated: 'DELETED' };
  it('has exactly the expected state rows', () => expect(Object.keys(ec2States).sort()).toEqual(Object.keys(states).sort()));
  it.each(Object.entries(states))('maps EC2 state %s to %s', (state, expected) => expect(ec2States[state]).toBe(expected));

  const errors: Record<string, Expected> = {
    RequestLimitExceeded: throttled, Throttling: throttled, ThrottlingException: throttled,
    InsufficientInstanceCapacity: capacity, InsufficientHostCapacity: capacity, InsufficientReservedInstanceCapacity: capacity, InsufficientCapacityOnHost: capacity,
    InstanceLimitExceeded: quota, VcpuLimitExceeded: quota, AddressLimitExceeded: quota, VolumeLimitExceeded: quota,
    AuthFailure: auth, UnauthorizedOperation: auth, InvalidClientTokenId: auth, SignatureDoesNotMatch: auth, MissingAuthenticationToken: auth, ExpiredToken: auth, OptInRequired: auth, AccessDenied: auth,
    InvalidParameterValue: badInput, InvalidParameter: badInput, InvalidParameterCombination: badInput, MissingParameter: badInput, 'InvalidAMIID.NotFound': badInput, 'InvalidAMIID.Malformed': badInput, Unsupported: badInput,
    IdempotentParameterMismatch: conflict, 'InvalidInstanceID.NotFound': notFound, 'InvalidInstanceID.Malformed': notFound, IncorrectInstanceState: conflict, IncorrectState: conflict,
    InternalError: transient, InternalFailure: transient, ServiceUnavailable: transient, Unavailable: transient, RequestTimeout: transient,
  };
  it('has exactly the expected error rows', () => expect(Object.keys(ec2Errors).sort()).toEqual(Object.keys(errors).sort()));
  it.each(Object.entries(errors))('maps EC2 error %s to %j', (code, [expected, isTransient]) => {
    const error = awsProviderError(new EC2ServiceException({ name: code, $fault: 'client', $metadata: { httpStatusCode: 400 }, message: `Invalid value 'x' for InstanceType.` }));
    expect({ code: error.code, transient: error.transient, providerCode: error.providerCode }).toEqual({ code: expected, transient: isTransient, providerCode: code });
  });
  it('names the field of a bad AMI and of a bad instance type', () => {
    expect(awsProviderError(new EC2ServiceException({ name: 'InvalidAMIID.NotFound', $fault: 'client', $metadata: {}, message: 'no such thing' })).field).toBe('image');
    expect(awsProviderError(new EC2ServiceException({ name: 'InvalidParameterValue', $fault: 'client', $metadata: {}, message: "Invalid value 'q' for InstanceType." })).field).toBe('instanceType');
  });
  it('treats unknown 5xx codes as transient and unknown 4xx as permanent', () => {
    expect(awsProviderError(new EC2ServiceException({ name: 'Surprise', $fault: 'server', $metadata: { httpStatusCode: 503 }, message: 'x' })).transient).toBe(true);
    expect(awsProviderError(new EC2ServiceException({ name: 'Surprise', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'x' })).transient).toBe(false);
  });
});

describe('Azure mapping tables', () => {
  it('has exactly the expected provisioning and power rows', () => {
    expect(azureProvisioningStates).toEqual({ creating: 'PENDING', deleting: 'DELETING', failed: 'ERROR' });
    expect(azurePowerStates).toEqual({ starting: 'STARTING', running: 'RUNNING', stopping: 'STOPPING', stopped: 'STOPPED', deallocating: 'STOPPING', deallocated: 'STOPPED', unknown: 'ERROR' });
  });
  it.each([
    [['ProvisioningState/creating', 'PowerState/starting'], 'PENDING'],
    [['ProvisioningState/succeeded', 'PowerState/running'], 'RUNNING'],
    [['ProvisioningState/updating', 'PowerState/deallocating'], 'STOPPING'],
    [['ProvisioningState/succeeded', 'PowerState/deallocated'], 'STOPPED'],
    [['ProvisioningState/succeeded', 'PowerState/stopped'], 'STOPPED'],
    [['ProvisioningState/updating', 'PowerState/starting'], 'STARTING'],
    [['ProvisioningState/deleting', 'PowerState/running'], 'DELETING'],
    [['ProvisioningState/failed', 'PowerState/running'], 'ERROR'],
    [['ProvisioningState/succeeded'], 'PENDING'],
  ])('maps instance view %j to %s', (codes, expected) => expect(azureVmState(codes)).toBe(expected));

  const errors: Record<string, Expected> = {
    TooManyRequests: throttled, RetryableError: transient, InternalServerError: transient, ServiceUnavailable: transient, GatewayTimeout: transient,
    AllocationFailed: capacity, ZonalAllocationFailed: capacity, OverconstrainedAllocationRequest: capacity, OverconstrainedZonalAllocationRequest: capacity, SkuNotAvailable: capacity,
    QuotaExceeded: quota, OperationNotAllowed: conflict,
    AuthenticationFailed: auth, InvalidAuthenticationToken: auth, InvalidAuthenticationTokenTenant: auth, ExpiredAuthenticationToken: auth, AuthorizationFailed: auth, LinkedAuthorizationFailed: auth, SubscriptionNotFound: auth, ResourceGroupNotFound: auth,
    InvalidParameter: badInput, BadRequest: badInput, InvalidRequestContent: badInput, InvalidResourceName: badInput, InvalidResourceReference: badInput, PlatformImageNotFound: badInput, ImageNotFound: badInput, VMSizeNotSupported: badInput, LocationNotAvailableForResourceType: badInput,
    ResourceNotFound: notFound, NotFound: notFound, PreconditionFailed: conflict, Conflict: conflict,
  };
  it('has exactly the expected error rows', () => expect(Object.keys(armErrors).sort()).toEqual(Object.keys(errors).sort()));
  it.each(Object.entries(errors))('maps ARM error %s to %j', (code, [expected, isTransient]) => {
    const error = azureProviderError(new RestError('something went wrong', { code, statusCode: 400 }));
    expect({ code: error.code, transient: error.transient, providerCode: error.providerCode }).toEqual({ code: expected, transient: isTransient, providerCode: code });
  });
  it('reads a failed long-running operation and tells quota from a wrong state in OperationNotAllowed', () => {
    expect(azureProviderError(new Error('The long-running operation has failed. AllocationFailed. Allocation failed.'))).toMatchObject({ code: 'PROVIDER_CAPACITY', providerCode: 'AllocationFailed' });
    expect(azureProviderError(new RestError('Operation results in exceeding approved Total Regional Cores quota.', { code: 'OperationNotAllowed', statusCode: 409 })).code).toBe('PROVIDER_QUOTA');
  });
});

describe('Compute Engine mapping tables', () => {
  const states = { PROVISIONING: 'PENDING', STAGING: 'PENDING', RUNNING: 'RUNNING', STOPPING: 'STOPPING', SUSPENDING: 'STOPPING', TERMINATED: 'STOPPED', STOPPED: 'STOPPED', SUSPENDED: 'STOPPED', REPAIRING: 'ERROR' };
  it('has exactly the expected status rows', () => expect(gceStatuses).toEqual(states));

  const operationErrors: Record<string, Expected> = {
    ZONE_RESOURCE_POOL_EXHAUSTED: capacity, ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS: capacity, RESOURCE_POOL_EXHAUSTED: capacity, QUOTA_EXCEEDED: quota,
    RESOURCE_NOT_FOUND: badInput, INVALID_FIELD_VALUE: badInput, RESOURCE_ALREADY_EXISTS: conflict, RESOURCE_NOT_READY: conflict, PERMISSIONS_ERROR: auth, INTERNAL_ERROR: transient, RATE_LIMIT_EXCEEDED: throttled,
  };
  it('has exactly the expected operation error rows', () => expect(Object.keys(gceOperationErrors).sort()).toEqual(Object.keys(operationErrors).sort()));
  it.each(Object.entries(operationErrors))('maps operation error %s to %j', (code, [expected, isTransient]) => {
    const error = gcpOperationError({ status: 'DONE', error: { errors: [{ code, message: 'machine type problem' }] } });
    expect({ code: error?.code, transient: error?.transient, providerCode: error?.providerCode }).toEqual({ code: expected, transient: isTransient, providerCode: code });
  });

  const reasons: Record<string, Expected> = {
    rateLimitExceeded: throttled, userRateLimitExceeded: throttled, RATE_LIMIT_EXCEEDED: throttled, quotaExceeded: quota, QUOTA_EXCEEDED: quota, ZONE_RESOURCE_POOL_EXHAUSTED: capacity,
    forbidden: auth, insufficientPermissions: auth, authError: auth, required: auth, invalid: badInput, badRequest: badInput, notFound: notFound, alreadyExists: conflict,
    resourceNotReady: conflict, conditionNotMet: conflict, backendError: transient, internalError: transient,
  };
  it('has exactly the expected reason rows', () => expect(Object.keys(gceErrorReasons).sort()).toEqual(Object.keys(reasons).sort()));
  it.each(Object.entries(reasons))('maps API error reason %s to %j', (reason, [expected, isTransient]) => {
    const error = gcpProviderError({ code: 2, reason, message: 'boom' });
    expect({ code: error.code, transient: error.transient }).toEqual({ code: expected, transient: isTransient });
  });
  it('falls back on gRPC codes, turns a missing resource on insert into bad input, and tells quota from rate limits', () => {
    expect(gcpProviderError({ code: 8, message: 'Rate exceeded' })).toMatchObject({ code: 'PROVIDER_ERROR', transient: true });
    expect(gcpProviderError({ code: 8, message: "Quota 'CPUS' exceeded. Limit: 24.0" })).toMatchObject({ code: 'PROVIDER_QUOTA', transient: false });
    expect(gcpProviderError({ code: 16, message: 'no' }).code).toBe('PROVIDER_AUTH');
    expect(gcpProviderError({ code: 5, reason: 'notFound', message: "The resource 'projects/x/global/images/family/y' was not found" }, { creating: true })).toMatchObject({ code: 'BAD_USER_INPUT', field: 'image' });
  });
});
