import { appError, badInput } from '@novacron/errors';
import type { VmsServices } from '../context.ts';
import type { OperationRow, VmRow } from '../db/rows.ts';
import type { OperationKind } from '../db/schema.ts';
import { enqueueOperation } from './enqueueOperation.ts';
import { assertTransitionAllowed } from './lifecyclePolicy.ts';
import { parseId } from './parseId.ts';
import { validateCreateInput, type CreateVmInput } from './validateCreateInput.ts';

const maxIdempotencyKeyLength = 255;

function parseIdempotencyKey(key: string | null | undefined): string | null {
  if (key === null || key === undefined) return null;
  if (key.length === 0 || key.length > maxIdempotencyKeyLength) {
    throw badInput('idempotencyKey', `idempotencyKey must be 1 to ${maxIdempotencyKeyLength} characters`);
  }
  return key;
}

/** Validates a createVM request and enqueues its operation. */
export async function requestCreate(services: VmsServices, tenantId: string, input: CreateVmInput, idempotencyKey: string | null | undefined): Promise<OperationRow> {
  const key = parseIdempotencyKey(idempotencyKey);
  const create = validateCreateInput(input, services.providers);
  return enqueueOperation(services.db, {
    tenantId,
    kind: 'CREATE',
    mutation: 'createVM',
    args: create,
    idempotencyKey: key,
    create,
    queuedLeaseSeconds: services.config.worker.queuedLeaseSeconds,
  });
}

/** Options of an action on an existing VM. */
export interface ActionRequest {
  kind: Exclude<OperationKind, 'CREATE'>;
  vmId: string;
  idempotencyKey: string | null | undefined;
  /** For RESIZE: the target instance type. */
  instanceType?: string;
}

/** Validates a lifecycle action against the lifecycle policy and enqueues its operation. */
export async function requestAction(services: VmsServices, tenantId: string, request: ActionRequest): Promise<OperationRow> {
  const key = parseIdempotencyKey(request.idempotencyKey);
  const vmId = parseId('id', request.vmId);
  const input: Record<string, unknown> = request.instanceType === undefined ? {} : { instanceType: request.instanceType };
  return enqueueOperation(services.db, {
    tenantId,
    kind: request.kind,
    mutation: request.kind,
    args: { vmId, ...input },
    idempotencyKey: key,
    vmId,
    input,
    queuedLeaseSeconds: services.config.worker.queuedLeaseSeconds,
    check: (vm) => checkAction(services, vm, request),
  });
}

function checkAction(services: VmsServices, vm: VmRow, request: ActionRequest): void {
  const driver = services.providers.get(vm.provider);
  if (!driver) throw appError('CONFLICT', `provider ${vm.provider} is not configured`, { reason: 'PROVIDER_UNAVAILABLE' });
  if (request.kind === 'RESIZE') {
    const target = request.instanceType ?? '';
    const problem = driver.validate({ region: vm.region, instanceType: target }).find((candidate) => candidate.field === 'instanceType');
    if (problem) throw badInput('instanceType', problem.message);
    if (target === vm.instanceType && vm.status !== 'DELETED') throw badInput('instanceType', `the VM already is ${target}`);
  }
  if (request.kind === 'REBOOT' && !driver.capabilities().canReboot) throw appError('CONFLICT', `provider ${vm.provider} cannot reboot VMs`, { reason: 'UNSUPPORTED' });
  assertTransitionAllowed(request.kind, vm.status, !driver.capabilities().resizeRequiresStop);
}
