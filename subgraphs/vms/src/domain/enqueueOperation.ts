import { and, eq, inArray, sql } from 'drizzle-orm';
import { isTransientDatabaseError } from '@novacron/db';
import { appError, notFound } from '@novacron/errors';
import { currentTraceContext, withSpan } from '@novacron/telemetry';
import type { Database } from '../db/createDatabase.ts';
import { insertVmEvent } from '../db/recordVmChange.ts';
import type { OperationRow, VmRow } from '../db/rows.ts';
import { operations, vms, type OperationKind } from '../db/schema.ts';
import { inputDigest } from './inputDigest.ts';
import { activeOperationStatuses } from './lifecyclePolicy.ts';
import { plannedSteps } from './operationPlans.ts';
import type { ValidCreateInput } from './validateCreateInput.ts';

/** The graphile-worker task that executes operations. */
export const runOperationTask = 'vms.run_operation';

/** The job key of an operation's one job (re-drives replace it under the same key). */
export function operationJobKey(operationId: string): string {
  return `op:${operationId}`;
}

/** What to enqueue: a create (with the VM to insert) or an action on an existing VM. */
export type EnqueueRequest = {
  tenantId: string;
  /** The mutation and its arguments (idempotency key excluded), digested to recognise replays. */
  mutation: string;
  args: unknown;
  idempotencyKey: string | null;
  /** How often the sweeper checks that a queued operation's job is still alive (never a deadline). */
  queuedLeaseSeconds: number;
} & (
  | { kind: 'CREATE'; create: ValidCreateInput }
  | {
      kind: Exclude<OperationKind, 'CREATE'>;
      vmId: string;
      /** Worker parameters (the target instance type, …). */
      input: Record<string, unknown>;
      /** Runs under the VM's row lock; throws (CONFLICT, BAD_USER_INPUT) to refuse. */
      check: (vm: VmRow) => void;
    }
);

/**
 * Records an operation and its job in one Postgres transaction, so an accepted mutation is never
 * without a job and a job never without its operation. Returns the operation (an existing one for a
 * replayed idempotency key).
 */
export async function enqueueOperation(db: Database, request: EnqueueRequest): Promise<OperationRow> {
  const digest = inputDigest(request.mutation, request.args);
  return withSpan(`enqueue ${request.kind}`, { 'novacron.operation.kind': request.kind }, () => db.transaction(async (tx) => {
    if (request.idempotencyKey !== null) {
      // Serialize requests that share a key, so five concurrent replays make one operation.
      await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`${request.tenantId.length}:${request.tenantId}:${request.idempotencyKey}`}, 0))`);
      const [existing] = await tx
        .select()
        .from(operations)
        .where(and(eq(operations.tenantId, request.tenantId), eq(operations.idempotencyKey, request.idempotencyKey)));
      if (existing) {
        if (existing.inputDigest !== digest) {
          throw appError('CONFLICT', 'this idempotency key was already used with a different request', {
            field: 'idempotencyKey',
            reason: 'IDEMPOTENCY_KEY_REUSED',
            operationId: existing.id,
          });
        }
        return existing;
      }
    }

    let vm: VmRow;
    let input: Record<string, unknown>;
    if (request.kind === 'CREATE') {
      const [created] = await tx
        .insert(vms)
        .values({ tenantId: request.tenantId, ...request.create, status: 'PENDING' })
        .returning();
      if (!created) throw new Error('insert into vms returned no row');
      vm = created;
      input = { ...request.create };
      await insertVmEvent(tx, vm, 'CREATED', null);
    } else {
      const [locked] = await tx
        .select()
        .from(vms)
        .where(and(eq(vms.id, request.vmId), eq(vms.tenantId, request.tenantId)))
        .for('update');
      if (!locked) throw notFound('VM', request.vmId);
      vm = locked;
      const [active] = await tx
        .select({ id: operations.id, kind: operations.kind })
        .from(operations)
        .where(and(eq(operations.vmId, vm.id), inArray(operations.status, [...activeOperationStatuses])));
      if (active) {
        throw appError('CONFLICT', `the VM has an unfinished ${active.kind} operation; wait for it or cancel it`, {
          reason: 'OPERATION_IN_PROGRESS',
          operationId: active.id,
        });
      }
      request.check(vm);
      input = request.input;
    }

    const [operation] = await tx
      .insert(operations)
      .values({
        tenantId: request.tenantId,
        kind: request.kind,
        status: 'QUEUED',
        vmId: vm.id,
        input,
        inputDigest: digest,
        idempotencyKey: request.idempotencyKey,
        steps: plannedSteps(request.kind),
        leaseExpiresAt: sql`now() + make_interval(secs => ${request.queuedLeaseSeconds})`,
        traceContext: currentTraceContext(),
      })
      .returning();
    if (!operation) throw new Error('insert into operations returned no row');
    await tx.execute(
      sql`select graphile_worker.add_job(${runOperationTask}, json_build_object('operationId', ${operation.id}::text), job_key := ${operationJobKey(operation.id)}, max_attempts := 10)`,
    );
    return operation;
  })).catch(unavailableOnDatabaseTrouble);
}

/**
 * Turns a transient database failure (a lock held by a stuck transaction past lock_timeout, a reset
 * connection, a restart) into a clear, retryable UNAVAILABLE error; nothing was written, so the
 * client may repeat the request with the same idempotency key. Other errors pass unchanged.
 */
export function unavailableOnDatabaseTrouble(error: unknown): never {
  if (isTransientDatabaseError(error)) {
    throw appError('UNAVAILABLE', 'the database is busy or restarting; nothing was changed, retry the request shortly', { reason: 'DATABASE_UNAVAILABLE' }, error);
  }
  throw error;
}
