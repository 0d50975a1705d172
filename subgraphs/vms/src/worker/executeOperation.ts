import { eq } from 'drizzle-orm';
import { ProviderError, type ProviderDriver } from '@novacron/providers';
import type { OperationKind, VmStatus } from '../__generated__/resolvers-types.ts';
import { recordVmChange } from '../db/recordVmChange.ts';
import { vms } from '../db/schema.ts';
import { claimOperation } from './claimOperation.ts';
import { LeaseLostError } from './LeaseLostError.ts';
import { OperationRun } from './OperationRun.ts';
import { retryTransient } from './retryTransient.ts';
import { startLeaseHeartbeat } from './startLeaseHeartbeat.ts';
import { finalVmChange, stepHandlers, vmStatusFor } from './stepHandlers.ts';
import type { WorkerContext } from './WorkerContext.ts';

/**
 * Executes one operation to a terminal state: claim the lease, run each unfinished step (retrying
 * transient provider errors with backoff), honour cancellation between steps, and finish with the
 * VM's final state, all writes guarded by the lease. Safe to call for any operation id at any time:
 * finished or foreign-leased operations are left alone.
 */
export async function executeOperation(context: WorkerContext, operationId: string): Promise<void> {
  const claimed = await claimOperation(context.db, operationId, context.workerId, context.leaseSeconds);
  if (!claimed) return;
  const lease = startLeaseHeartbeat(context.db, claimed.id, claimed.leaseEpoch, context.leaseSeconds, context.logger);
  const log = context.logger.child({ operationId, kind: claimed.kind });
  try {
    const [vm] = await context.db.select().from(vms).where(eq(vms.id, claimed.vmId));
    if (!vm) throw new Error(`operation ${operationId} refers to a missing VM`);
    const driver = (await context.providers.forTenant(vm.tenantId, vm.provider)) ?? unconfiguredProvider(vm.provider);
    const run = new OperationRun(context, claimed, vm, driver, lease);
    log.debug({ redrive: claimed.redriveCount }, 'running operation');
    await runSteps(run);
  } catch (error) {
    if (error instanceof LeaseLostError) {
      log.warn('lease lost; another worker owns the operation now');
      return;
    }
    throw error;
  } finally {
    lease.stop();
  }
}

/** Stands in for a provider removed from the configuration: every call fails permanently, so the operation fails with a clear reason. */
function unconfiguredProvider(name: string): ProviderDriver {
  const fail = (): never => {
    throw new ProviderError('UnknownProvider', `provider ${name} is not configured on this worker`, { transient: false });
  };
  return new Proxy({ name } as ProviderDriver, { get: (target, property) => (property === 'name' ? target.name : fail) });
}

async function runSteps(run: OperationRun): Promise<void> {
  const kind = run.operation.kind as OperationKind;
  const handlers = stepHandlers[kind];
  const total = run.operation.steps.length;
  for (let index = 0; index < total; index += 1) {
    const step = run.operation.steps[index];
    if (!step || step.status === 'SUCCEEDED' || step.status === 'SKIPPED') continue;
    const started = await run.guarded(async (tx, operation) => {
      if (operation.cancelRequested) return false;
      await run.updateOperation(tx, {
        steps: run.stepsWith(index, { status: 'RUNNING', startedAt: step.startedAt ?? new Date().toISOString(), message: null }),
      });
      return true;
    });
    if (!started) return cancelRunning(run, index);
    try {
      if (step.name === 'finalize') return await completeOperation(run, index);
      const handler = handlers[step.name];
      if (!handler) throw new Error(`no handler for step ${kind}/${step.name}`);
      const message = await retryTransient(
        run.context.retry,
        () => handler(run),
        (error, nextAttempt) =>
          run.guarded(async (tx) => {
            await run.updateOperation(tx, {
              attempts: run.operation.attempts + 1,
              steps: run.stepsWith(index, { message: `attempt ${nextAttempt} after ${error.providerCode}: ${error.message}` }),
            });
          }),
      );
      await run.guarded(async (tx) => {
        await run.updateOperation(tx, {
          steps: run.stepsWith(index, { status: 'SUCCEEDED', finishedAt: new Date().toISOString(), message }),
          progress: Math.round(((index + 1) * 100) / total),
        });
      });
    } catch (error) {
      if (error instanceof LeaseLostError) throw error;
      return failOperation(run, index, error);
    }
  }
}

async function completeOperation(run: OperationRun, index: number): Promise<void> {
  const final = await retryTransient(run.context.retry, () => finalVmChange(run), async () => {});
  await run.guarded(async (tx) => {
    run.vm = await recordVmChange(tx, run.vm.id, final.change, final.event, run.operation.id);
    await run.updateOperation(tx, {
      status: 'SUCCEEDED',
      progress: 100,
      steps: run.stepsWith(index, { status: 'SUCCEEDED', finishedAt: new Date().toISOString() }),
      finishedAt: new Date(),
      leaseOwner: null,
      leaseExpiresAt: null,
    });
  });
}

async function failOperation(run: OperationRun, index: number, error: unknown): Promise<void> {
  const providerError = error instanceof ProviderError ? error : null;
  if (!providerError) run.context.logger.error({ err: error, operationId: run.operation.id }, 'operation failed with an internal error');
  const status = await vmStatusAfterFailure(run);
  await run.guarded(async (tx) => {
    if (status !== run.vm.status) run.vm = await recordVmChange(tx, run.vm.id, { status }, 'STATE_CHANGED', run.operation.id);
    await run.updateOperation(tx, {
      status: 'FAILED',
      steps: run.stepsWith(index, { status: 'FAILED', finishedAt: new Date().toISOString(), message: providerError?.message ?? 'internal error' }),
      errorCode: providerError ? 'PROVIDER_ERROR' : 'INTERNAL_SERVER_ERROR',
      errorMessage: providerError ? providerError.message : 'the operation failed with an internal error; see the worker logs',
      errorProviderCode: providerError?.providerCode ?? null,
      finishedAt: new Date(),
      leaseOwner: null,
      leaseExpiresAt: null,
    });
  });
}

/** A failed create leaves the VM in ERROR; other failures show what the provider now reports. */
async function vmStatusAfterFailure(run: OperationRun) {
  if (run.operation.kind === 'CREATE' || !run.vm.providerId) return 'ERROR' as const;
  try {
    const instance = await run.driver.get(run.vm.providerId);
    return instance ? vmStatusFor(instance.state) : ('ERROR' as const);
  } catch {
    return 'ERROR' as const;
  }
}

/**
 * Honours a cancellation between steps. A half-made create is undone (the instance it made is
 * deleted) so nothing is left running unseen; other kinds stop where they are, and the VM shows what
 * the provider reports.
 */
async function cancelRunning(run: OperationRun, index: number): Promise<void> {
  let status = run.vm.status as VmStatus;
  let message = 'cancelled';
  try {
    if (run.operation.kind === 'CREATE') {
      const instance = await run.driver.findByClientToken(run.operation.id);
      if (instance && instance.state !== 'DELETED' && instance.state !== 'DELETING') {
        await retryTransient(run.context.retry, () => run.driver.delete(instance.providerId), async () => {});
        message = `cancelled; deleted the half-made instance ${instance.providerId}`;
      }
      status = 'DELETED';
    } else if (run.vm.providerId) {
      const instance = await run.driver.get(run.vm.providerId);
      if (instance) status = vmStatusFor(instance.state);
    }
  } catch (error) {
    run.context.logger.warn({ err: error, operationId: run.operation.id }, 'clean-up after cancellation failed');
    status = 'ERROR';
    message = 'cancelled; clean-up at the provider failed';
  }
  await run.guarded(async (tx) => {
    if (status !== run.vm.status) run.vm = await recordVmChange(tx, run.vm.id, { status }, status === 'DELETED' ? 'DELETED' : 'STATE_CHANGED', run.operation.id);
    const now = new Date().toISOString();
    await run.updateOperation(tx, {
      status: 'CANCELLED',
      steps: run.operation.steps.map((step, position) =>
        position < index ? step : { ...step, status: 'SKIPPED' as const, finishedAt: now, message: position === index ? message : step.message },
      ),
      errorCode: 'CANCELLED',
      errorMessage: message,
      finishedAt: new Date(),
      leaseOwner: null,
      leaseExpiresAt: null,
    });
  });
}
