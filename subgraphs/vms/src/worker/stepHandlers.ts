/**
 * What each step of each operation kind does against the provider. Every handler is safe to run
 * again after a crash (a re-driven operation repeats its unfinished step): it looks at the
 * provider's truth first and skips work already done. This file is the one place that knows the
 * per-kind steps; the runner in executeOperation.ts is generic.
 */
import { ProviderError, type ProviderInstance, type ProviderInstanceState } from '@novacron/providers';
import { recordVmChange, type VmChange } from '../db/recordVmChange.ts';
import type { OperationKind, StoredStep, VmEventType, VmStatus } from '../db/schema.ts';
import { planStepOf } from '../domain/operationPlans.ts';
import { capacityErrorCodes, reportCreateAttempt } from '../domain/placeCreate.ts';
import { findCreatedInstance } from './findCreatedInstance.ts';
import type { OperationRun } from './OperationRun.ts';
import { sanitizeProviderMessage } from './sanitizeProviderMessage.ts';

/** The label every instance NovaCron creates carries: the id of the VM it belongs to. */
export const vmIdTag = 'novacron-vm-id';

/**
 * What a step ended with: a short message recorded on the step, and optionally the VM change it
 * made, written in the same statement as the step's end (see finishStepUnderLease).
 */
export type StepResult = string | null | { message: string | null; vmChange: FinalVmChange };

/** A step's work; returns what it ended with. */
export type StepHandler = (run: OperationRun) => Promise<StepResult>;

/** How the VM looks once the operation succeeds. */
export interface FinalVmChange {
  change: VmChange;
  event: VmEventType;
}

/** Maps a provider state onto the VM status shown to clients. */
export function vmStatusFor(state: ProviderInstanceState): VmStatus {
  return state === 'PENDING' ? 'PROVISIONING' : state;
}

async function setVmStatus(run: OperationRun, change: VmChange, event: VmEventType = 'STATE_CHANGED'): Promise<void> {
  await run.changeVm(change, event);
}

function requireProviderId(run: OperationRun): string {
  if (!run.vm.providerId) throw new ProviderError('InvalidInstanceID.NotFound', 'the VM has no provider instance', { transient: false });
  return run.vm.providerId;
}

/**
 * Polls the provider until `done` holds, sleeping until each transition is due to settle. When this
 * run has just seen the instance mid-transition (the create's answer), the first poll waits until it
 * is due instead of asking at once for an answer already known (one provider call per create fewer).
 */
async function waitForInstance(run: OperationRun, done: (instance: ProviderInstance | null) => boolean, description: string): Promise<ProviderInstance | null> {
  const providerId = requireProviderId(run);
  const deadline = Date.now() + run.context.transitionTimeoutSeconds * 1000;
  const seen = run.observed?.providerId === providerId ? run.observed : null;
  // With the step end before this wait held back (deferStepEnd), the first poll waits until the instance is due even past the usual 2 s.
  if (seen && !done(seen) && seen.settlesAt) await sleepUntilDue(seen, Math.max(pollAtLeastEveryMs, run.deferredStepEnd?.withinMs ?? 0));
  for (;;) {
    run.assertLease();
    const instance = run.observe(await run.driver.get(providerId));
    if (done(instance)) return instance;
    // The wait goes on: the step end held back to ride with its end is written now (see executeOperation's deferStepEnd).
    await run.writeDeferredStepEnd();
    if (instance?.state === 'ERROR') throw new ProviderError('InstanceError', `the provider reports the instance in ERROR while waiting for ${description}`, { transient: false });
    if (Date.now() > deadline) throw new ProviderError('Timeout', `timed out waiting for ${description}`, { transient: false });
    await sleepUntilDue(instance);
  }
}

/** A wait polls its instance at least this often (a cloud's due time is a hint, not a promise). */
const pollAtLeastEveryMs = 2_000;

/** Sleeps until the instance's transition is due to settle (25 ms – `capMs`; 250 ms when it says nothing). */
function sleepUntilDue(instance: ProviderInstance | null, capMs = pollAtLeastEveryMs): Promise<void> {
  const dueIn = instance?.settlesAt ? instance.settlesAt.getTime() - Date.now() : 250;
  return new Promise((resolve) => setTimeout(resolve, Math.min(capMs, Math.max(25, dueIn + 5))));
}

const isState = (...states: ProviderInstanceState[]) => (instance: ProviderInstance | null) => instance !== null && states.includes(instance.state);

/** A step that asks the provider for a transition unless the instance is already in or past it. */
function actionStep(options: {
  skipWhen: ProviderInstanceState[];
  during: VmStatus;
  act: (run: OperationRun, providerId: string) => Promise<unknown>;
}): StepHandler {
  return async (run) => {
    const providerId = requireProviderId(run);
    const instance = await run.driver.get(providerId);
    if (instance && options.skipWhen.includes(instance.state)) return `already ${instance.state.toLowerCase()}`;
    if (run.vm.status !== options.during) await setVmStatus(run, { status: options.during });
    await run.fenced(() => options.act(run, providerId));
    return null;
  };
}

function waitStep(states: ProviderInstanceState[], description: string): StepHandler {
  return async (run) => {
    await waitForInstance(run, isState(...states), description);
    return null;
  };
}

function targetInstanceType(run: OperationRun): string {
  const target = run.operation.input.instanceType;
  if (typeof target !== 'string') throw new Error(`resize operation ${run.operation.id} has no target instance type`);
  return target;
}

/**
 * Thrown by a step that ended as a recorded attempt and added the step that replaces it (a placed
 * create's provision that failed over to the next candidate): the runner moves on to that step
 * instead of marking this one succeeded or failing the operation.
 */
export class StepSuperseded extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StepSuperseded';
  }
}

/** How a provision attempt is named on the operation: after the offering it tries. */
const provisionStepFor = (offering: { provider: string; region: string; instanceType: string }) => `provision (${offering.provider} ${offering.region} ${offering.instanceType})`;

/**
 * A placed create that found no capacity: placement blocks that offering and names the next
 * candidate. In one transaction the VM moves there and the running provision step becomes a FAILED
 * attempt named after its offering, followed by a new pending attempt on the next candidate, so
 * `Operation.steps` (and operationUpdated subscribers) show every attempt; `StepSuperseded` makes the
 * runner go on with it. Anything else, or no candidate left, is returned as is (the create fails).
 */
async function failOverOnCapacity(run: OperationRun, error: unknown): Promise<unknown> {
  const placement = run.context.placement;
  // A real driver classifies capacity errors as PROVIDER_CAPACITY; the simulated one keeps the clouds' own codes.
  if (!(error instanceof ProviderError) || !(error.code === 'PROVIDER_CAPACITY' || capacityErrorCodes.has(error.providerCode)) || !placement) return error;
  const from = { provider: run.vm.provider, region: run.vm.region, instanceType: run.vm.instanceType };
  const next = await reportCreateAttempt(placement, { tenantId: run.vm.tenantId, operationId: run.operation.id, outcome: 'CAPACITY_FAILURE', message: `${error.providerCode}: ${error.message}` });
  if (!next) return error;
  const driver = await run.context.providers.forTenant(run.vm.tenantId, next.provider);
  if (!driver) return error;
  await run.guarded(async (tx) => {
    const index = run.operation.steps.findIndex((step) => planStepOf(step.name) === 'provision' && step.status === 'RUNNING');
    if (index < 0) throw new Error(`operation ${run.operation.id} has no running provision step to fail over from`);
    run.vm = await recordVmChange(tx, run.vm.id, { provider: next.provider, region: next.region, instanceType: next.instanceType }, 'UPDATED', run.operation.id);
    const now = new Date().toISOString();
    const failed: StoredStep = { ...run.operation.steps[index]!, name: provisionStepFor(from), status: 'FAILED', finishedAt: now, message: `${error.providerCode}: ${sanitizeProviderMessage(error.message)}` };
    const attempt: StoredStep = { name: provisionStepFor(next), status: 'PENDING', startedAt: null, finishedAt: null, message: null };
    const steps = [...run.operation.steps.slice(0, index), failed, attempt, ...run.operation.steps.slice(index + 1)];
    await run.updateOperation(tx, { steps, progress: Math.round(((index + 1) * 100) / steps.length) });
  });
  run.driver = driver;
  return new StepSuperseded(`${from.provider}/${from.region}/${from.instanceType}: ${error.providerCode}; next candidate ${next.provider}/${next.region}/${next.instanceType}`);
}

/** Tells placement a placed create succeeded; a create placed explicitly has no decision and is left alone. */
async function reportPlacedAttempt(run: OperationRun, outcome: 'SUCCEEDED', message: string | null): Promise<void> {
  if (!run.context.placement || !run.operation.steps.some((step) => step.name === 'place')) return;
  await reportCreateAttempt(run.context.placement, { tenantId: run.vm.tenantId, operationId: run.operation.id, outcome, message }).catch((error: unknown) =>
    run.context.logger.warn({ err: error, operationId: run.operation.id }, 'could not tell placement the create succeeded'),
  );
}

/** What a create's provision step records before it asks the provider for the instance. */
const pendingCreateMarker = (run: OperationRun) => `create requested at the provider with client token ${run.operation.id}`;

/** What a step writes in the statement that starts it: a message it carries from its start, a VM change. */
export interface StepStart {
  message?: string;
  vmChange?: FinalVmChange;
}

/**
 * What steps write when they start, in the same statement that starts them (usually the previous
 * step's end). The provision step carries the pending-create marker and moves the VM to
 * PROVISIONING from its start: a write, an operation event and a commit per create fewer than
 * recording them on their own right before the call. By operation kind and plan step.
 */
export const stepStarts: Partial<Record<OperationKind, Record<string, (run: OperationRun) => StepStart>>> = {
  CREATE: {
    provision: (run) => ({
      message: pendingCreateMarker(run),
      ...(run.vm.status === 'PROVISIONING' ? {} : { vmChange: { change: { status: 'PROVISIONING' }, event: 'STATE_CHANGED' } }),
    }),
  },
};

/**
 * Steps that ask no provider and write nothing (checks of what the operation and its VM say): when
 * one is an operation's first step, the worker does it before claiming and records its end with
 * the claim (see executeOperation). By operation kind, plan step names.
 */
export const localFirstSteps: Partial<Record<OperationKind, readonly string[]>> = { CREATE: ['validate'] };

/** Step handlers by operation kind and step name; `finalize` is handled by the runner. */
export const stepHandlers: Record<OperationKind, Record<string, StepHandler>> = {
  CREATE: {
    validate: async (run) => {
      const [problem] = run.driver.validate({ region: run.vm.region, instanceType: run.vm.instanceType, image: run.vm.image, name: run.vm.name });
      if (problem) throw new ProviderError('InvalidParameterValue', `${problem.field}: ${problem.message}`, { transient: false });
      return null;
    },
    provision: async (run) => {
      // The operation id is the provider-side idempotency token: a retried or re-driven create
      // finds the instance the first attempt made instead of making a second one.
      const clientToken = run.operation.id;
      // Nothing to find on an operation's first provision attempt right after its first claim, and that
      // claim proved the lease just now (a provider read and a lease read per create fewer).
      const unused = run.clientTokenUnused;
      run.clientTokenUnused = false;
      let instance = unused ? null : run.observe(await run.driver.findByClientToken(clientToken, { region: run.vm.region }));
      const adopted = instance !== null;
      if (!instance) {
        try {
          // The pending-create marker and the VM's move to PROVISIONING were written when the step
          // started (stepStarts); the fence proves the lease right before the call (or, on a re-drive
          // that resumed here, writes them).
          instance = run.observe(
            await run.fenced(
              () =>
                run.driver.create({
                  clientToken,
                  name: run.vm.name,
                  region: run.vm.region,
                  instanceType: run.vm.instanceType,
                  image: run.vm.image,
                  // The VM id as a label: what an operator (or a test) counts instances per VM by at the cloud.
                  labels: { ...run.vm.labels, [vmIdTag]: run.vm.id },
                  // Real drivers tag the instance with its VM and tenant: the reconciler ties instances back by them.
                  vmId: run.vm.id,
                  tenantId: run.vm.tenantId,
                }),
              { step: 'provision', message: pendingCreateMarker(run) },
              run.vm.status !== 'PROVISIONING' ? { status: 'PROVISIONING' } : undefined,
              unused,
            ),
          );
        } catch (error) {
          throw await failOverOnCapacity(run, error);
        }
        await reportPlacedAttempt(run, 'SUCCEEDED', null);
      }
      // Recorded with the step's success, in one statement (the VM change and the step commit together).
      return {
        message: adopted ? `adopted existing instance ${instance.providerId}` : `created ${instance.providerId}`,
        vmChange: { change: { providerId: instance.providerId, status: vmStatusFor(instance.state) }, event: 'STATE_CHANGED' },
      };
    },
    'wait-running': waitStep(['RUNNING'], 'the instance to run'),
  },
  START: {
    start: actionStep({ skipWhen: ['STARTING', 'RUNNING'], during: 'STARTING', act: (run, id) => run.driver.start(id) }),
    'wait-running': waitStep(['RUNNING'], 'the instance to run'),
  },
  STOP: {
    stop: actionStep({ skipWhen: ['STOPPING', 'STOPPED'], during: 'STOPPING', act: (run, id) => run.driver.stop(id) }),
    'wait-stopped': waitStep(['STOPPED'], 'the instance to stop'),
  },
  REBOOT: {
    reboot: actionStep({ skipWhen: ['REBOOTING'], during: 'REBOOTING', act: (run, id) => run.driver.reboot(id) }),
    'wait-running': waitStep(['RUNNING'], 'the instance to run again'),
  },
  RESIZE: {
    resize: async (run) => {
      const providerId = requireProviderId(run);
      const target = targetInstanceType(run);
      const instance = await run.driver.get(providerId);
      if (instance?.state === 'RESIZING' || instance?.instanceType === target) return 'resize already under way';
      if (run.vm.status !== 'RESIZING') await setVmStatus(run, { status: 'RESIZING' });
      await run.fenced(() => run.driver.resize(providerId, target));
      return `resizing to ${target}`;
    },
    'wait-resized': async (run) => {
      const target = targetInstanceType(run);
      await waitForInstance(run, (instance) => instance !== null && instance.state !== 'RESIZING' && instance.instanceType === target, `the resize to ${target}`);
      return null;
    },
  },
  DELETE: {
    delete: async (run) => {
      if (!run.vm.providerId) {
        // A create that failed or was abandoned before recording its provider id may still have made
        // an instance: find it by the create's client token and adopt it, so it is deleted too.
        const made = await findCreatedInstance(run);
        if (!made) return 'nothing to delete at the provider';
        await setVmStatus(run, { providerId: made.providerId });
      }
      const providerId = requireProviderId(run);
      const instance = await run.driver.get(providerId);
      if (!instance || instance.state === 'DELETING' || instance.state === 'DELETED') return 'already deleted';
      if (run.vm.status !== 'DELETING') await setVmStatus(run, { status: 'DELETING' });
      await run.fenced(() => run.driver.delete(providerId));
      return null;
    },
    'wait-deleted': async (run) => {
      if (!run.vm.providerId) return null;
      await waitForInstance(run, (instance) => instance === null || instance.state === 'DELETED', 'the instance to be deleted');
      return null;
    },
  },
};

/** Reads the provider's truth for the final VM row of a successful operation. */
export async function finalVmChange(run: OperationRun): Promise<FinalVmChange> {
  const known = finalVmChangeFromObservation(run);
  if (known) return known;
  const instance = await run.driver.get(requireProviderId(run));
  if (!instance) throw new ProviderError('InvalidInstanceID.NotFound', 'the instance disappeared at the provider', { transient: false });
  return finalVmChangeFor(run, instance);
}

/**
 * The final VM change when it needs no provider call: a deletion, or the settled instance the wait
 * step that just ended has read (reading it again would return the same). Null otherwise.
 */
export function finalVmChangeFromObservation(run: OperationRun): FinalVmChange | null {
  if (run.operation.kind === 'DELETE') return { change: { status: 'DELETED', publicIp: null }, event: 'DELETED' };
  const providerId = run.vm.providerId;
  const seen = providerId && run.observed?.providerId === providerId && run.observed.settlesAt === null ? run.observed : null;
  return seen ? finalVmChangeFor(run, seen) : null;
}

function finalVmChangeFor(run: OperationRun, instance: ProviderInstance): FinalVmChange {
  return {
    change: {
      status: vmStatusFor(instance.state),
      instanceType: instance.instanceType,
      privateIp: instance.privateIp,
      publicIp: instance.publicIp,
    },
    event: run.operation.kind === 'RESIZE' ? 'RESIZED' : 'STATE_CHANGED',
  };
}
