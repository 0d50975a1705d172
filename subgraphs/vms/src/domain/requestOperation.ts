import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Identity } from '@novacron/auth';
import { appError, badInput } from '@novacron/errors';
import type { AuditStamp } from '@novacron/subgraph-kit';
import type { VmsServices } from '../context.ts';
import type { AcceptedOperation, VmRow } from '../db/rows.ts';
import { operations, type OperationKind } from '../db/schema.ts';
import { enqueueOperation } from './enqueueOperation.ts';
import { assertTransitionAllowed } from './lifecyclePolicy.ts';
import { parseId } from './parseId.ts';
import { createIdsFor, placeCreate, releaseCreateCapacity, reserveCreateCapacity, type Placement, type PlacementCall } from './placeCreate.ts';
import { validateCreateInput, validateVmName, type CreateVmInput, type ValidCreateInput } from './validateCreateInput.ts';
import { validateLabels } from './validateLabels.ts';

const maxIdempotencyKeyLength = 255;

function parseIdempotencyKey(key: string | null | undefined): string | null {
  if (key === null || key === undefined) return null;
  if (key.length === 0 || key.length > maxIdempotencyKeyLength) {
    throw badInput('idempotencyKey', `idempotencyKey must be 1 to ${maxIdempotencyKeyLength} characters`);
  }
  return key;
}

/**
 * Validates a createVM request and enqueues its operation. With `placement` (the platform has a
 * placement subgraph), quota is reserved first and a create with requirements is placed first (see
 * placeCreate.ts); without it, creates are neither quota-checked nor placeable. Then billing reserves
 * budget for it (when billing is configured and the caller is a user; see reserveCreateBudget.ts). A
 * refused check throws before anything is written here, and a quota hold taken before the refusal is
 * released at once (see releaseRefusedHold). With `CREATE_GUARD_CACHE_MS`, a tenant known to have no
 * quota there / no BLOCK_CREATE budget skips that call (createCreateGuardScope.ts). Admission control
 * comes first: beyond its limits the request is refused with OVERLOADED before anything is checked or
 * written. Given the mutation's audit stamp, its success record is written in the enqueue's statement.
 */
export async function requestCreate(...args: Parameters<typeof admittedCreate>): Promise<AcceptedOperation> {
  const [services] = args;
  return services.admission ? services.admission.run(() => admittedCreate(...args)) : admittedCreate(...args);
}

async function admittedCreate(
  services: VmsServices,
  tenantId: string,
  input: CreateVmInput,
  idempotencyKey: string | null | undefined,
  placement?: PlacementCall,
  caller?: Identity,
  audit?: AuditStamp,
): Promise<AcceptedOperation> {
  const key = parseIdempotencyKey(idempotencyKey);
  let create: ValidCreateInput;
  let ids: { operationId: string; vmId: string } | undefined;
  let placed: Placement | null = null;
  if (!placement) {
    if (input.placement) throw appError('UNAVAILABLE', 'this platform has no placement subgraph; give provider, region and instanceType', { field: 'input.placement' });
    create = validateCreateInput(input, services.providers);
  } else {
    // Everything that does not depend on where the VM goes is checked before placement reserves anything.
    validateVmName(input.name);
    validateLabels('input.labels', input.labels);
    if (input.placement) {
      const allowed = services.providers.list().filter((driver) => !input.placement?.providers || input.placement.providers.includes(driver.name));
      if (!allowed.some((driver) => driver.capabilities().images.includes(input.image))) throw badInput('input.image', `no allowed provider offers image "${input.image.slice(0, 80)}"`);
    }
    ids = createIdsFor(tenantId, key);
    if (input.placement) placed = await placeCreate(placement, input, ids);
    create = validateCreateInput(placed ? { ...input, provider: placed.provider, region: placed.region, instanceType: placed.instanceType } : input, services.providers);
    if (!placed && (!services.createGuards || (await services.createGuards.needsQuotaReservation(tenantId, placement.caller, create.provider, create.region)))) {
      await reserveCreateCapacity(placement, create, ids);
    }
  }
  const vmId = ids?.vmId ?? randomUUID();
  try {
    // A replayed idempotency key reserves under the same key, so billing answers it from the first hold.
    const budgetChecked = services.budgetGuard && caller && (!services.createGuards || (await services.createGuards.needsBudgetCheck(tenantId, caller)));
    if (budgetChecked && services.budgetGuard && caller) await services.budgetGuard({ identity: caller, reservationKey: key ? `idempotency:${key}` : `create:${vmId}`, vmId, create });
    return await enqueueOperation(services.db, {
      tenantId,
      kind: 'CREATE',
      mutation: 'createVM',
      args: placed ? { ...create, placement: input.placement } : create,
      idempotencyKey: key,
      create,
      vmId,
      ids,
      doneSteps: placed ? [placed.step] : [],
      queuedLeaseSeconds: services.config.worker.queuedLeaseSeconds,
      audit,
    });
  } catch (error) {
    if (placement && ids) await releaseRefusedHold(services, tenantId, placement.client, ids.operationId);
    throw error;
  }
}

/**
 * Gives back the quota hold of a create refused after placement reserved it (BUDGET_EXCEEDED, an
 * enqueue that failed), so the quota is free at once rather than when the hold expires. Not when the
 * operation exists: then the hold is that operation's (an idempotent replay refused as a CONFLICT).
 * Best effort: a hold left behind still expires.
 */
async function releaseRefusedHold(services: VmsServices, tenantId: string, client: PlacementCall['client'], operationId: string): Promise<void> {
  try {
    const [existing] = await services.db.select({ id: operations.id }).from(operations).where(eq(operations.id, operationId));
    if (!existing) await releaseCreateCapacity(client, { tenantId, operationId });
  } catch {
    // The refusal is what the caller needs to hear; the hold expires on its own.
  }
}

/** Options of an action on an existing VM. */
export interface ActionRequest {
  kind: Exclude<OperationKind, 'CREATE'>;
  vmId: string;
  idempotencyKey: string | null | undefined;
  /** For RESIZE: the target instance type. */
  instanceType?: string;
}

/** Validates a lifecycle action against the lifecycle policy and enqueues its operation (admission control first). */
export async function requestAction(services: VmsServices, tenantId: string, request: ActionRequest): Promise<AcceptedOperation> {
  return services.admission ? services.admission.run(() => admittedAction(services, tenantId, request)) : admittedAction(services, tenantId, request);
}

async function admittedAction(services: VmsServices, tenantId: string, request: ActionRequest): Promise<AcceptedOperation> {
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
