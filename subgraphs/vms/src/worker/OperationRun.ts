import { and, eq, sql } from 'drizzle-orm';
import type { ProviderDriver, ProviderInstance } from '@novacron/providers';
import type { Transaction } from '../db/createDatabase.ts';
import type { OperationRow, VmRow } from '../db/rows.ts';
import type { VmChange } from '../db/recordVmChange.ts';
import { operations, type StoredStep, type VmEventType } from '../db/schema.ts';
import { changeVmUnderLease, finishStepUnderLease, succeedUnderLease, type LeasedTarget } from './leasedVmWrites.ts';
import { planStepOf } from '../domain/operationPlans.ts';
import { LeaseLostError } from './LeaseLostError.ts';
import type { LeaseHeartbeat } from './startLeaseHeartbeat.ts';
import type { WorkerContext } from './WorkerContext.ts';

/** A step's end held back to ride with the next step's end (see {@link OperationRun.deferredStepEnd}). */
export interface DeferredStepEnd {
  /** The step that ended. */
  index: number;
  message: string | null;
  /** The VM change it made (already applied to the run's VM in memory), with its event. */
  vmChange: { change: VmChange; event: VmEventType } | undefined;
  finishedAt: string;
  /** The run's VM as the database has it, before that change. */
  vmBefore: VmRow;
  /** The instance was due within this long when the end was held: the wait's first poll sleeps until it is due, up to this long. */
  withinMs: number;
}

/** What {@link OperationRun.updateUnderLease} may change: a step's state, progress, attempts. */
export type LeaseGuardedChanges = Partial<Pick<OperationRow, 'steps' | 'progress' | 'attempts'>>;

/**
 * Prepared: a step's start and end are the worker's most frequent writes. Unset values keep the
 * column. Returns only what the write changed besides the values sent: parsing the whole row back
 * (`returning *`, its steps and input as JSON) was a large part of the worker's postgres.js time.
 */
const updateUnderLeaseStatement = `
update vms.operations set
  steps = coalesce($4::jsonb, steps),
  progress = coalesce($5::int, progress),
  attempts = coalesce($6::int, attempts),
  version = version + 1,
  updated_at = now()
where id = $1 and lease_epoch = $2 and status = 'RUNNING' and not ($3::boolean and cancel_requested)
returning version, updated_at`;

/** Prepared: the fence before a provider call that changes state (a read; no write, no event). */
const proveLeaseStatement = `select 1 from vms.operations where id = $1 and lease_epoch = $2 and status = 'RUNNING'`;

/**
 * One worker's run of one claimed operation: the state step handlers read, and the only way they
 * write, so that every write is guarded by the lease epoch.
 */
export class OperationRun {
  readonly context: WorkerContext;
  /** The VM's provider; a placed create that fails over to another provider switches it. */
  driver: ProviderDriver;
  readonly lease: LeaseHeartbeat;
  operation: OperationRow;
  vm: VmRow;
  /**
   * The instance as this run last saw it at the provider (what a create or a poll returned), so a
   * wait does not poll before the transition is due and `finalize` does not read again what the wait
   * just read. Only ever from this run: a re-driven operation starts with none.
   */
  observed: ProviderInstance | null = null;
  /**
   * True when no provider call can have carried this operation's id as its client token yet: the
   * run's claim was the operation's first, and it started the first provision attempt (see
   * executeOperation's claim after a local first step). The provision step then skips looking for
   * an instance made under that token, and its fence takes that claim as the proof of the lease; it
   * clears the flag.
   */
  clientTokenUnused = false;
  /**
   * A step's end this run has not written yet: it rides with the end of the wait step after it
   * when that wait ends at its first poll (see executeOperation's deferStepEnd). Written on its own
   * (`writeDeferredStepEnd`) before any other write and after a poll that does not end the wait.
   */
  deferredStepEnd: DeferredStepEnd | null = null;

  constructor(context: WorkerContext, operation: OperationRow, vm: VmRow, driver: ProviderDriver, lease: LeaseHeartbeat) {
    this.context = context;
    this.operation = operation;
    this.vm = vm;
    this.driver = driver;
    this.lease = lease;
  }

  /** Throws LeaseLostError when the heartbeat found the lease gone. */
  assertLease(): void {
    if (this.lease.lost) throw new LeaseLostError(this.operation.id);
  }

  /**
   * Runs `work` in a transaction that first proves this run still holds the lease (and locks the
   * operation row); `work` sees the fresh operation row.
   */
  async guarded<T>(work: (tx: Transaction, operation: OperationRow) => Promise<T>): Promise<T> {
    this.assertLease();
    const result = await this.context.db.transaction(async (tx) => {
      const [current] = await tx
        .select()
        .from(operations)
        .where(and(eq(operations.id, this.operation.id), eq(operations.leaseEpoch, this.operation.leaseEpoch), eq(operations.status, 'RUNNING')))
        .for('update');
      if (!current) throw new LeaseLostError(this.operation.id);
      this.operation = current;
      return work(tx, current);
    });
    this.context.eventSignals?.written();
    return result;
  }

  /**
   * Fences a state-changing provider call: proves in the database, right before the call, that this
   * run still holds the lease (a heartbeat flag alone can be stale after a pause). With `marker`,
   * makes sure that message is on the named step (the runner writes it when it starts a step that
   * declares it, see `stepStarts`), so a crash during the call leaves a durable trace of what
   * may have happened at the provider (the pending-create marker). With `before`, that VM change is
   * written under the lease first and is the proof: no separate round trip. With `provenByClaim`,
   * the claim that took the lease (and wrote the marker) was this run's last statement and no
   * provider call came since: it is the proof, as fresh as a read would be.
   */
  async fenced<T>(call: () => Promise<T>, marker?: { step: string; message: string }, before?: VmChange, provenByClaim = false): Promise<T> {
    if (before) await this.changeVm(before, 'STATE_CHANGED');
    const index = marker ? this.operation.steps.findIndex((step) => planStepOf(step.name) === marker.step && step.status === 'RUNNING') : -1;
    if (marker && index >= 0 && this.operation.steps[index]?.message !== marker.message) {
      await this.updateUnderLease({ steps: this.stepsWith(index, { message: marker.message }) });
    } else if (!before && !provenByClaim) await this.proveLease();
    else this.assertLease();
    return call();
  }

  /** Remembers what the provider just reported for the VM's instance; returns it. */
  observe<T extends ProviderInstance | null>(instance: T): T {
    this.observed = instance;
    return instance;
  }

  /*
   * The two helpers below prove the lease in the statement itself (`where lease_epoch = …`) instead
   * of a transaction that locks the row first: one round trip instead of four (BEGIN, SELECT … FOR
   * UPDATE, UPDATE, COMMIT) for each step's start and end, which were most of an executed create's
   * Postgres CPU. The fencing is the same: a later claim bumped the epoch, so the write matches nothing.
   */

  /** Proves in the database that this run still holds the lease; throws LeaseLostError otherwise. */
  async proveLease(): Promise<void> {
    this.assertLease();
    const [held] = await this.context.db.$client.unsafe(proveLeaseStatement, [this.operation.id, this.operation.leaseEpoch], { prepare: true });
    if (!held) throw new LeaseLostError(this.operation.id);
  }

  /**
   * Writes operation fields in one statement guarded by the lease. With `unlessCancelled`, a
   * cancellation requested meanwhile wins: nothing is written and null is returned.
   */
  async updateUnderLease(changes: LeaseGuardedChanges, options: { unlessCancelled?: boolean } = {}): Promise<OperationRow | null> {
    this.assertLease();
    const [updated] = await this.context.db.$client.unsafe<{ version: number; updated_at: string }[]>(
      updateUnderLeaseStatement,
      [
        this.operation.id,
        this.operation.leaseEpoch,
        options.unlessCancelled === true,
        changes.steps === undefined ? null : JSON.stringify(changes.steps),
        changes.progress ?? null,
        changes.attempts ?? null,
      ],
      { prepare: true },
    );
    if (updated) {
      this.context.eventSignals?.written();
      return this.wrote(changes, updated.version, new Date(updated.updated_at));
    }
    return this.unlessCancelledOutcome(options);
  }

  /**
   * Writes a step's end with the VM change that step made (and its event) in one statement under
   * the lease; otherwise as {@link updateUnderLease}.
   */
  async finishStepWithVmChange(
    changes: { steps: StoredStep[]; progress: number },
    options: { unlessCancelled?: boolean },
    vmChange: { change: VmChange; event: VmEventType },
  ): Promise<OperationRow | null> {
    this.assertLease();
    const done = await finishStepUnderLease(this.context.db, this.leasedTarget(), { ...changes, unlessCancelled: options.unlessCancelled === true }, vmChange.change, vmChange.event);
    if (done) {
      this.context.eventSignals?.written();
      this.vm = done.vm;
      return this.wrote(changes, done.version, done.updatedAt);
    }
    return this.unlessCancelledOutcome(options);
  }

  /** The run's operation after a write of `changes` that produced `version` at `updatedAt`. */
  private wrote(changes: LeaseGuardedChanges, version: number, updatedAt: Date): OperationRow {
    this.operation = { ...this.operation, ...definedChanges(changes), version, updatedAt };
    return this.operation;
  }

  /** After a lease-guarded write matched nothing: null when a cancellation requested meanwhile is why, else the lease is lost. */
  private async unlessCancelledOutcome(options: { unlessCancelled?: boolean }): Promise<null> {
    if (options.unlessCancelled) {
      const [current] = await this.context.db
        .select()
        .from(operations)
        .where(and(eq(operations.id, this.operation.id), eq(operations.leaseEpoch, this.operation.leaseEpoch), eq(operations.status, 'RUNNING')));
      if (current?.cancelRequested) {
        this.operation = current;
        return null;
      }
    }
    throw new LeaseLostError(this.operation.id);
  }

  /** Changes the VM and writes its event under the lease, in one statement (see leasedVmWrites.ts). */
  async changeVm(change: VmChange, event: VmEventType): Promise<void> {
    this.assertLease();
    const vm = await changeVmUnderLease(this.context.db, this.leasedTarget(), change, event);
    if (!vm) throw new LeaseLostError(this.operation.id);
    this.context.eventSignals?.written();
    this.vm = vm;
  }

  /**
   * Finishes the operation as SUCCEEDED with `steps` and the VM's final change, in one statement
   * under the lease. With `unlessCancelled`, a cancellation requested meanwhile wins: nothing is
   * written and false is returned.
   */
  async succeed(steps: StoredStep[], change: VmChange, event: VmEventType, options: { unlessCancelled?: boolean } = {}): Promise<boolean> {
    this.assertLease();
    const done = await succeedUnderLease(this.context.db, this.leasedTarget(), steps, change, event, options.unlessCancelled === true);
    if (!done) {
      await this.unlessCancelledOutcome(options);
      return false;
    }
    this.context.eventSignals?.written();
    this.operation = {
      ...this.operation,
      status: 'SUCCEEDED',
      progress: 100,
      steps,
      leaseOwner: null,
      leaseExpiresAt: null,
      version: done.version,
      updatedAt: done.updatedAt,
      finishedAt: done.updatedAt,
    };
    this.vm = { ...this.vm, ...change, version: done.vmVersion, updatedAt: done.vmUpdatedAt };
    return true;
  }

  private leasedTarget(): LeasedTarget {
    return { operationId: this.operation.id, leaseEpoch: this.operation.leaseEpoch, vmId: this.vm.id };
  }

  /** Writes new operation fields (steps, progress, attempts, status, …) under the lease. */
  async updateOperation(tx: Transaction, changes: Partial<Omit<OperationRow, 'id' | 'version'>>): Promise<OperationRow> {
    const [updated] = await tx
      .update(operations)
      .set({ ...changes, version: sql`${operations.version} + 1`, updatedAt: sql`now()` })
      .where(eq(operations.id, this.operation.id))
      .returning();
    if (!updated) throw new LeaseLostError(this.operation.id);
    this.operation = updated;
    return updated;
  }

  /**
   * The steps with the deferred step end applied (that step SUCCEEDED, the step after it started),
   * or the steps as they are when nothing is deferred.
   */
  stepsWithDeferredEnd(): StoredStep[] {
    const deferred = this.deferredStepEnd;
    if (!deferred) return this.operation.steps;
    return this.operation.steps.map((step, position) =>
      position === deferred.index
        ? { ...step, status: 'SUCCEEDED' as const, finishedAt: deferred.finishedAt, message: deferred.message }
        : position === deferred.index + 1
          ? { ...step, status: 'RUNNING' as const, startedAt: step.startedAt ?? deferred.finishedAt }
          : step,
    );
  }

  /** Writes the deferred step end (with the next step's start and the VM change it carries) as it would have been written at once; nothing when none is deferred. */
  async writeDeferredStepEnd(): Promise<void> {
    const deferred = this.deferredStepEnd;
    if (!deferred) return;
    const changes = { steps: this.stepsWithDeferredEnd(), progress: Math.round(((deferred.index + 1) * 100) / this.operation.steps.length) };
    this.dropDeferredStepEnd();
    if (deferred.vmChange) await this.finishStepWithVmChange(changes, {}, deferred.vmChange);
    else await this.updateUnderLease(changes);
  }

  /** Forgets the deferred step end (the run is left as the database has it: a re-run repeats that step, which is idempotent). */
  dropDeferredStepEnd(): void {
    if (this.deferredStepEnd) this.vm = this.deferredStepEnd.vmBefore;
    this.deferredStepEnd = null;
  }

  /** Returns the steps with step `index` changed. */
  stepsWith(index: number, patch: Partial<StoredStep>): StoredStep[] {
    return this.operation.steps.map((step, position) => (position === index ? { ...step, ...patch } : step));
  }
}

/** The changes that were given (an absent key keeps the row's value, as the statement's `coalesce` does). */
function definedChanges(changes: LeaseGuardedChanges): LeaseGuardedChanges {
  const given: LeaseGuardedChanges = {};
  if (changes.steps !== undefined) given.steps = changes.steps;
  if (changes.progress !== undefined) given.progress = changes.progress;
  if (changes.attempts !== undefined) given.attempts = changes.attempts;
  return given;
}
