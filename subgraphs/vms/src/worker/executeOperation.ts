import { ProviderError, type ProviderDriver, type ProviderInstanceState } from '@novacron/providers';
import { passThroughOperationTelemetry } from '@novacron/telemetry';
import { recordVmChange, type VmChange } from '../db/recordVmChange.ts';
import { planStepOf } from '../domain/operationPlans.ts';
import { releaseCreateCapacity } from '../domain/placeCreate.ts';
import type { OperationKind, StoredStep, VmStatus } from '../db/schema.ts';
import { claimAfterLocalStep, claimOperationAndVm, readOperationForClaim, type Claimed } from './claimOperation.ts';
import { prefetchedCredentials } from '../domain/loadProviderCredentials.ts';
import { findCreatedInstance } from './findCreatedInstance.ts';
import { isTransientDatabaseError } from '@novacron/db';
import { LeaseLostError } from './LeaseLostError.ts';
import { OperationRun } from './OperationRun.ts';
import { retryTransient } from './retryTransient.ts';
import { sanitizeProviderMessage } from './sanitizeProviderMessage.ts';
import { startLeaseHeartbeat, type LeaseHeartbeat } from './startLeaseHeartbeat.ts';
import { finalVmChange, finalVmChangeFromObservation, localFirstSteps, StepSuperseded, stepHandlers, stepStarts, vmStatusFor, type FinalVmChange, type StepResult, type StepStart } from './stepHandlers.ts';
import type { WorkerContext } from './WorkerContext.ts';
import type { VmRow } from '../db/rows.ts';
import type { EncryptedCredentials } from '@novacron/secrets';

/**
 * Executes one operation to a terminal state: claim the lease, run each unfinished step (retrying
 * transient provider errors with backoff, waiting out database outages), honour cancellation between
 * steps, and finish with the VM's final state, all writes guarded by the lease. Safe to call for any
 * operation id at any time: finished or foreign-leased operations are left alone. An operation
 * re-driven more than `maxRedrives` times is failed here, by a live worker that can still clean up
 * at the provider.
 */
export async function executeOperation(context: WorkerContext, operationId: string): Promise<void> {
  const early = await claimAfterFirstLocalStep(context, operationId);
  const claim = early ?? (await claimOperationAndVm(context.db, operationId, context.workerId, context.leaseSeconds));
  if (!claim) return;
  // The claim wrote the operation's RUNNING version (and, after a local first step, the VM's change).
  context.eventSignals?.written();
  const claimed = claim.operation;
  const lease = context.leases
    ? context.leases.hold(claimed.id, claimed.leaseEpoch)
    : startLeaseHeartbeat(context.db, claimed.id, claimed.leaseEpoch, context.leaseSeconds, context.logger);
  // Bound fields instead of a child logger: pino's child (with its redaction) cost ~1 % of the worker's CPU per operation.
  const fields = { operationId, kind: claimed.kind };
  try {
    const vm = claim.vm;
    if (!vm) throw new Error(`operation ${operationId} refers to a missing VM`);
    const telemetry = context.telemetry ?? passThroughOperationTelemetry;
    const driver = early?.driver ?? (await driverFor(context, vm, claim.credentials));
    const run = new OperationRun(context, claimed, vm, driver, lease);
    // The operation's first claim, which started its first provision attempt: nothing has been asked of a provider under its id.
    run.clientTokenUnused = early !== null && planStepOf(claimed.steps.find((step) => !finishedStatuses.has(step.status))?.name ?? '') === 'provision';
    if (context.logger.isLevelEnabled('debug')) context.logger.debug({ ...fields, redrive: claimed.redriveCount }, 'running operation');
    const traced = { id: claimed.id, kind: claimed.kind, provider: vm.provider, region: vm.region, createdAt: claimed.createdAt, traceContext: claimed.traceContext };
    // The step the claim started (unless a cancellation was pending): its start is not written again.
    let startedByClaim = claimed.cancelRequested ? -1 : claimed.steps.findIndex((step) => !finishedStatuses.has(step.status));
    await untilDatabaseAnswers(run, async () => {
      if (run.operation.redriveCount > context.maxRedrives) return abandonOperation(run);
      const started = startedByClaim;
      startedByClaim = -1;
      return telemetry.execution(traced, () => runSteps(run, started), () => run.operation);
    });
  } catch (error) {
    if (error instanceof LeaseLostError) {
      context.logger.warn(fields, 'lease lost; another worker owns the operation now');
      return;
    }
    throw error;
  } finally {
    lease.stop();
  }
}

/** The driver a run of an operation on `vm` uses: the tenant's (from the credentials record the claim read), behind the breakers and telemetry. */
async function driverFor(context: WorkerContext, vm: VmRow, credentials: EncryptedCredentials | null): Promise<ProviderDriver> {
  const telemetry = context.telemetry ?? passThroughOperationTelemetry;
  const prefetched = { tenantId: vm.tenantId, provider: vm.provider, record: credentials };
  const provided = (await prefetchedCredentials.run(prefetched, () => context.providers.forTenant(vm.tenantId, vm.provider))) ?? unconfiguredProvider(vm.provider);
  return telemetry.driver(context.breakers ? context.breakers.wrap(provided, vm.provider) : provided, vm.provider);
}

/** A lease stand-in for the checks done before the claim: nothing to renew, never lost (nothing is written under it). */
const noLeaseYet: LeaseHeartbeat = { lost: false, stop: () => {} };

/**
 * Claims a queued operation whose first step is local (`localFirstSteps`: a create's validation,
 * which asks no provider and writes nothing) after doing that step from a read of the operation and
 * its VM, so that the claim also records the step's end and the next step's start (with the VM
 * change that start makes): one write and one notifying commit per create fewer than claiming, then
 * ending the step (docs/benchmarks.md, "Execution (branch exec)"). Returns null — and the caller
 * claims as usual, which runs the step again under the lease — for anything else: another kind or
 * step, a re-drive, a pending cancellation, a step that fails (its failure is then recorded as
 * usual), or an operation or VM that changed since the read.
 */
async function claimAfterFirstLocalStep(context: WorkerContext, operationId: string): Promise<(Claimed & { driver: ProviderDriver }) | null> {
  const read = await readOperationForClaim(context.db, operationId);
  if (!read?.vm || read.operation.status !== 'QUEUED' || read.operation.cancelRequested) return null;
  const { operation, vm } = read;
  const index = operation.steps.findIndex((step) => !finishedStatuses.has(step.status));
  const step = operation.steps[index];
  const next = operation.steps[index + 1];
  if (!step || step.status !== 'PENDING' || next?.status !== 'PENDING' || !localFirstSteps[operation.kind]?.includes(planStepOf(step.name))) return null;
  const handler = stepHandlers[operation.kind][planStepOf(step.name)];
  if (!handler) return null;
  const driver = await driverFor(context, vm, read.credentials);
  const provisional = new OperationRun(context, operation, vm, driver, noLeaseYet);
  let result: StepResult;
  try {
    result = await (context.telemetry ?? passThroughOperationTelemetry).step(step.name, () => handler(provisional));
  } catch {
    return null;
  }
  if (typeof result === 'object' && result !== null) return null;
  const now = new Date().toISOString();
  const start = stepStartOf(provisional, next);
  const steps = operation.steps.map((candidate, position) =>
    position === index
      ? { ...candidate, status: 'SUCCEEDED' as const, startedAt: candidate.startedAt ?? now, finishedAt: now, message: result }
      : position === index + 1
        ? { ...candidate, ...startedStep(candidate, start, now) }
        : candidate,
  );
  const progress = Math.round(((index + 1) * 100) / operation.steps.length);
  const claimed = await claimAfterLocalStep(context.db, { ...read, vm }, context.workerId, context.leaseSeconds, { steps, progress, vmChange: start.vmChange });
  return claimed ? { ...claimed, driver } : null;
}

/**
 * Runs `work` again (from the first unfinished step) after each transient database error — a reset
 * connection, a Postgres restart, a serialization failure — instead of failing the operation: the
 * steps are idempotent and every write is fenced by the lease, so repeating one is safe. Gives up
 * only when the lease is lost (another worker resumed it) or the worker stops.
 */
async function untilDatabaseAnswers(run: OperationRun, work: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      if (!isTransientDatabaseError(error)) throw error;
      run.context.logger.warn({ err: error, operationId: run.operation.id, attempt }, 'database unavailable during an operation; will resume');
      const delayMs = Math.random() * Math.min(run.context.retry.maxDelayMs, run.context.retry.baseDelayMs * 2 ** Math.min(attempt - 1, 10));
      await pause(delayMs, run.context.signal);
      run.assertLease();
    }
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  signal?.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error('worker stopping'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Stands in for a provider removed from the configuration: every call fails permanently, so the operation fails with a clear reason. */
function unconfiguredProvider(name: string): ProviderDriver {
  const fail = (): never => {
    throw new ProviderError('UnknownProvider', `provider ${name} is not configured on this worker`, { transient: false });
  };
  return new Proxy({ name } as ProviderDriver, { get: (target, property) => (property === 'name' ? target.name : fail) });
}

/** Step statuses a run passes over: done, skipped, or an attempt superseded by the step after it. */
const finishedStatuses = new Set<StoredStep['status']>(['SUCCEEDED', 'SKIPPED', 'FAILED']);

async function runSteps(run: OperationRun, startedByClaim: number): Promise<void> {
  const { kind } = run.operation;
  const handlers = stepHandlers[kind];
  // The step the claim or the previous step's end already started (written in the same statement), if any.
  let startedWithPrevious = startedByClaim;
  // The plan can grow while it runs (a provision attempt that failed over adds the next one), so its length is read each time.
  for (let index = 0; index < run.operation.steps.length; index += 1) {
    const step = run.operation.steps[index];
    // A FAILED step in a running operation is an attempt that was superseded by the step after it.
    if (!step || step.status === 'SUCCEEDED' || step.status === 'SKIPPED' || step.status === 'FAILED') continue;
    if (startedWithPrevious !== index) {
      const start = stepStartOf(run, step);
      const steps = run.stepsWith(index, startedStep(step, start, new Date().toISOString()));
      const started = start.vmChange
        ? await run.finishStepWithVmChange({ steps, progress: run.operation.progress }, { unlessCancelled: true }, start.vmChange)
        : await run.updateUnderLease({ steps }, { unlessCancelled: true });
      if (!started) return cancelRunning(run, index);
    }
    try {
      if (step.name === 'finalize') return await completeOperation(run, index);
      const handler = handlers[planStepOf(step.name)];
      if (!handler) throw new Error(`no handler for step ${kind}/${step.name}`);
      const message = await retryTransient(
        run.context.retry,
        () => (run.context.telemetry ?? passThroughOperationTelemetry).step(step.name, () => handler(run)),
        async (error, nextAttempt) => {
          await run.writeDeferredStepEnd();
          await run.updateUnderLease({
            attempts: run.operation.attempts + 1,
            steps: run.stepsWith(index, { message: `attempt ${nextAttempt} after ${error.providerCode}: ${sanitizeProviderMessage(error.message)}` }),
          });
        },
      );
      if (deferStepEnd(run, index, message)) {
        startedWithPrevious = index + 1;
        continue;
      }
      startedWithPrevious = await finishStep(run, index, message);
      if (startedWithPrevious === FINISHED) return;
    } catch (error) {
      if (error instanceof LeaseLostError || isTransientDatabaseError(error)) {
        run.dropDeferredStepEnd();
        throw error;
      }
      if (error instanceof StepSuperseded) continue;
      await run.writeDeferredStepEnd();
      return failOperation(run, index, error);
    }
  }
}

/**
 * A wait whose instance is due within this long lets the end of the step before it ride with its
 * own end: the version it saves would have been current for less than half a second. A longer wait
 * gets that step's end written at once, so clients (and the e2e tests that watch for a running
 * wait step, with latencies of 0.6 s and more) see the instance recorded while it boots — unless
 * the worker is busy ({@link deferStepEndWindowMs}).
 */
const deferStepEndUpToMs = 500;

/**
 * How far ahead an instance may be due for the end of the step before its wait to be held back:
 * {@link deferStepEndUpToMs}, or, while this process runs more than `coalescing.above` operations
 * (`WORKER_COALESCE_ABOVE`), `coalescing.withinMs` (`WORKER_COALESCE_WITHIN_MS`). A busy worker
 * trades the version that shows the instance recorded during its boot for one write, one operation
 * and one VM event, and the followers' work on that event, per create (docs/benchmarks.md, issue 14,
 * "Coalescing under load").
 */
function deferStepEndWindowMs(context: Pick<WorkerContext, 'coalescing' | 'leases'>): number {
  const { coalescing, leases } = context;
  return coalescing && leases && leases.held > coalescing.above ? Math.max(deferStepEndUpToMs, coalescing.withinMs) : deferStepEndUpToMs;
}

/**
 * Holds back the end of step `index` (and the VM change it made, applied to the run's VM in
 * memory) when the step after it is a wait, followed only by `finalize`, for an instance this run
 * has just seen and that is due within {@link deferStepEndWindowMs}: if the wait ends at its first
 * poll, that step's end, the wait and the success are one statement, one operation version and one
 * notifying commit (a create: three notifying commits → two; docs/benchmarks.md, "Execution, round
 * 2"). A wait that polls again, a retry, a failure or a cancellation writes the held end first,
 * as it would have been written; a crash loses nothing the step cannot redo (a create's provision
 * finds its instance again by its client token). What clients no longer see is the version between
 * (the instance recorded, the wait running), which lasted until the instance was due.
 */
function deferStepEnd(run: OperationRun, index: number, result: StepResult): boolean {
  const { message, vmChange } = typeof result === 'object' && result !== null ? result : { message: result, vmChange: undefined };
  const { steps } = run.operation;
  const wait = steps[index + 1];
  const last = steps[index + 2];
  if (run.deferredStepEnd || wait?.status !== 'PENDING' || last?.name !== 'finalize' || last.status !== 'PENDING' || index + 3 !== steps.length) return false;
  const start = stepStartOf(run, wait);
  if (start.message !== undefined || start.vmChange) return false;
  const seen = run.observed;
  if (!seen || seen.providerId !== (vmChange?.change.providerId ?? run.vm.providerId)) return false;
  // Settled already, or due soon by the provider's word (a driver that gives no due time mid-transition, as Azure's, is not waited for).
  // A busy worker's longer bound needs a due time the provider knows, not a poll hint (after which a real cloud's instance is still booting).
  const withinMs = seen.settlesAtKnown ? deferStepEndWindowMs(run.context) : deferStepEndUpToMs;
  const dueSoon = seen.settlesAt ? seen.settlesAt.getTime() - Date.now() <= withinMs : settledStates.has(seen.state);
  if (!dueSoon) return false;
  run.deferredStepEnd = { index, message, vmChange, finishedAt: new Date().toISOString(), vmBefore: run.vm, withinMs };
  if (vmChange) run.vm = { ...run.vm, ...vmChange.change };
  return true;
}

/** Provider states with no transition under way. */
const settledStates = new Set<ProviderInstanceState>(['RUNNING', 'STOPPED', 'DELETED', 'ERROR']);

/** What {@link finishStep} returns when its write also finished the operation (as SUCCEEDED). */
const FINISHED = -2;

/**
 * Records step `index` as SUCCEEDED (with the VM change the step made, if any) and, in the same
 * statement, starts the step after it unless a cancellation was requested meanwhile (one write and
 * one operation event per step boundary instead of two; a cancellation is still honoured between
 * the steps). When the step after it is the last, `finalize`, and its VM change is already known
 * from what the run has just seen at the provider, the same statement finishes `finalize` and the
 * operation (one notifying commit and one operation version per operation fewer; otherwise
 * `finalize` runs as its own step, which may read the provider). Returns the index of the step it
 * started, FINISHED when the operation succeeded, or -1 when the next step is left for the loop
 * to start (or to cancel).
 */
async function finishStep(run: OperationRun, index: number, result: StepResult): Promise<number> {
  const { message, vmChange: own } = typeof result === 'object' && result !== null ? result : { message: result, vmChange: undefined };
  // A step end held back to ride with this one (deferStepEnd): its steps and VM change are written here.
  const vmChange = mergeVmChanges(run.deferredStepEnd?.vmChange, own);
  const write = async (changes: { steps: StoredStep[]; progress: number }, options: { unlessCancelled?: boolean }, change: FinalVmChange | undefined) => {
    const written = change ? await run.finishStepWithVmChange(changes, options, change) : await run.updateUnderLease(changes, options);
    if (written) run.deferredStepEnd = null;
    return written;
  };
  const finishedAt = new Date().toISOString();
  const progress = Math.round(((index + 1) * 100) / run.operation.steps.length);
  const ended = run.stepsWithDeferredEnd().map((step, position) => (position === index ? { ...step, status: 'SUCCEEDED' as const, finishedAt, message } : step));
  const next = run.operation.steps[index + 1];
  if (next?.name === 'finalize' && next.status === 'PENDING' && index + 2 === run.operation.steps.length) {
    const final = finalVmChangeFromObservation(run);
    if (final) {
      const steps = ended.map((step, position) =>
        position === index + 1 ? { ...step, status: 'SUCCEEDED' as const, startedAt: step.startedAt ?? finishedAt, finishedAt } : step,
      );
      const merged = mergeVmChanges(vmChange, final) ?? final;
      if (await run.succeed(steps, merged.change, merged.event, { unlessCancelled: true })) {
        run.deferredStepEnd = null;
        return FINISHED;
      }
      // A cancellation was requested meanwhile: end the step alone; the loop then cancels at `finalize`.
      await write({ steps: ended, progress }, {}, vmChange);
      return -1;
    }
  }
  if (next?.status === 'PENDING') {
    const start = stepStartOf(run, next);
    const steps = ended.map((step, position) => (position === index + 1 ? { ...step, ...startedStep(step, start, finishedAt) } : step));
    if (await write({ steps, progress }, { unlessCancelled: true }, mergeVmChanges(vmChange, start.vmChange))) return index + 1;
  }
  await write({ steps: ended, progress }, {}, vmChange);
  return -1;
}

/** What `step` writes when it starts (stepStarts); nothing for most steps. */
function stepStartOf(run: OperationRun, step: StoredStep): StepStart {
  return stepStarts[run.operation.kind]?.[planStepOf(step.name)]?.(run) ?? {};
}

/** A step as it starts: RUNNING, its first start time kept, and the message it carries from its start. */
function startedStep(step: StoredStep, start: StepStart, now: string): Partial<StoredStep> {
  return { status: 'RUNNING', startedAt: step.startedAt ?? now, ...(start.message === undefined ? {} : { message: start.message }) };
}

/** One step's end change followed by the next step's start change, as one VM change (the later one wins per field). */
function mergeVmChanges(first: FinalVmChange | undefined, then: FinalVmChange | undefined): FinalVmChange | undefined {
  if (!first || !then) return first ?? then;
  return { change: { ...first.change, ...then.change }, event: then.event };
}

async function completeOperation(run: OperationRun, index: number): Promise<void> {
  const final = await retryTransient(run.context.retry, () => finalVmChange(run), async () => {});
  await run.succeed(run.stepsWith(index, { status: 'SUCCEEDED', finishedAt: new Date().toISOString() }), final.change, final.event);
}

/** Fails an operation whose workers kept dying on it (re-driven more than `maxRedrives` times). */
async function abandonOperation(run: OperationRun): Promise<void> {
  const index = Math.max(0, run.operation.steps.findIndex((step) => step.status !== 'SUCCEEDED' && step.status !== 'SKIPPED' && step.status !== 'FAILED'));
  run.context.logger.error({ operationId: run.operation.id, redrives: run.operation.redriveCount }, 'giving up on an operation whose workers kept dying');
  await failOperation(run, index, null, `gave up after ${run.context.maxRedrives} re-drives; see the worker logs`);
}

/**
 * Fails the operation at step `index`. A failed create first looks for the instance it may have
 * made (by its client token) and deletes it, or, when that fails, records it on the VM so a later
 * deleteVM removes it: either way nothing is left running at the provider unseen.
 */
async function failOperation(run: OperationRun, index: number, error: unknown, internalMessage?: string): Promise<void> {
  const providerError = error instanceof ProviderError ? error : null;
  if (error && !providerError) run.context.logger.error({ err: error, operationId: run.operation.id }, 'operation failed with an internal error');
  const clientMessage = providerError
    ? sanitizeProviderMessage(providerError.message)
    : (internalMessage ?? 'the operation failed with an internal error; see the worker logs');
  const change: VmChange = { status: await vmStatusAfterFailure(run) };
  let cleanUp = '';
  if (run.operation.kind === 'CREATE') {
    const orphan = await cleanUpCreatedInstance(run);
    if (orphan) {
      change.providerId = orphan.providerId;
      cleanUp = orphan.deleted ? `; deleted the instance it had made (${orphan.providerId})` : `; could not delete instance ${orphan.providerId}, deleteVM removes it`;
    }
  }
  await run.guarded(async (tx) => {
    const differs = change.status !== run.vm.status || (change.providerId !== undefined && change.providerId !== run.vm.providerId);
    if (differs) run.vm = await recordVmChange(tx, run.vm.id, change, 'STATE_CHANGED', run.operation.id);
    await run.updateOperation(tx, {
      status: 'FAILED',
      steps: run.stepsWith(index, { status: 'FAILED', finishedAt: new Date().toISOString(), message: `${providerError ? clientMessage : 'internal error'}${cleanUp}` }),
      // The driver's classification (PROVIDER_CAPACITY, PROVIDER_AUTH, …), so clients act on the meaning.
      errorCode: providerError ? providerError.code : 'INTERNAL_SERVER_ERROR',
      errorMessage: clientMessage,
      errorProviderCode: providerError?.providerCode ?? null,
      finishedAt: new Date(),
      leaseOwner: null,
      leaseExpiresAt: null,
    });
  });
  await releaseHeldCapacity(run);
}

/**
 * A create that failed or was cancelled gives its quota hold back at once (placement would otherwise
 * keep it until the hold expires or its follower sees the VM gone). Best effort after the operation
 * is final: a hold left behind still expires.
 */
async function releaseHeldCapacity(run: OperationRun): Promise<void> {
  if (run.operation.kind !== 'CREATE' || !run.context.placement) return;
  await releaseCreateCapacity(run.context.placement, { tenantId: run.vm.tenantId, operationId: run.operation.id }).catch((error: unknown) =>
    run.context.logger.warn({ err: error, operationId: run.operation.id }, 'could not release the quota hold of a create; it expires instead'),
  );
}

/**
 * Deletes the instance a failed create made, if any. Returns what was found: deleted, or left
 * (then recorded on the VM so it is adopted, not orphaned); null when the provider holds none or
 * cannot be asked (a later deleteVM looks again by the same client token).
 */
async function cleanUpCreatedInstance(run: OperationRun): Promise<{ providerId: string; deleted: boolean } | null> {
  let instance;
  try {
    instance = await retryTransient(run.context.retry, () => findCreatedInstance(run), async () => {});
  } catch (error) {
    if (error instanceof LeaseLostError || isTransientDatabaseError(error)) throw error;
    run.context.logger.warn({ err: error, operationId: run.operation.id }, 'could not look for the instance of a failed create');
    return null;
  }
  if (!instance) return null;
  const providerId = instance.providerId;
  try {
    await retryTransient(run.context.retry, () => run.fenced(() => run.driver.delete(providerId)), async () => {});
    return { providerId, deleted: true };
  } catch (error) {
    if (error instanceof LeaseLostError || isTransientDatabaseError(error)) throw error;
    run.context.logger.warn({ err: error, operationId: run.operation.id, providerId }, 'could not delete the instance of a failed create; adopting it');
    return { providerId, deleted: false };
  }
}

/** A failed create leaves the VM in ERROR; other failures show what the provider now reports. */
async function vmStatusAfterFailure(run: OperationRun): Promise<VmStatus> {
  if (run.operation.kind === 'CREATE' || !run.vm.providerId) return 'ERROR';
  try {
    const instance = await run.driver.get(run.vm.providerId);
    return instance ? vmStatusFor(instance.state) : 'ERROR';
  } catch {
    return 'ERROR';
  }
}

/**
 * Honours a cancellation between steps. A half-made create is undone (the instance it made is
 * deleted) so nothing is left running unseen; other kinds stop where they are, and the VM shows what
 * the provider reports.
 */
async function cancelRunning(run: OperationRun, index: number): Promise<void> {
  let status = run.vm.status;
  let message = 'cancelled';
  try {
    if (run.operation.kind === 'CREATE') {
      const instance = await findCreatedInstance(run);
      if (instance) {
        await retryTransient(run.context.retry, () => run.fenced(() => run.driver.delete(instance.providerId)), async () => {});
        message = `cancelled; deleted the half-made instance ${instance.providerId}`;
      }
      status = 'DELETED';
    } else if (run.vm.providerId) {
      const instance = await run.driver.get(run.vm.providerId);
      if (instance) status = vmStatusFor(instance.state);
    }
  } catch (error) {
    if (error instanceof LeaseLostError || isTransientDatabaseError(error)) throw error;
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
  await releaseHeldCapacity(run);
}
