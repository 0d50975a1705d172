/**
 * The lifecycle policy: which operation may start from which VM status, and the status a VM shows
 * while the operation runs. Documented in docs/lifecycle.md; keep the two in step.
 */
import { appError } from '@novacron/errors';
import type { OperationKind, VmStatus } from '../db/schema.ts';

interface Transition {
  /** Statuses the VM may be in for the operation to be accepted. */
  from: readonly VmStatus[];
  /** The status the VM shows while the provider carries the operation out. */
  during: VmStatus;
}

export const lifecycleTransitions: Record<Exclude<OperationKind, 'CREATE'>, Transition> = {
  START: { from: ['STOPPED'], during: 'STARTING' },
  STOP: { from: ['RUNNING'], during: 'STOPPING' },
  REBOOT: { from: ['RUNNING'], during: 'REBOOTING' },
  // RUNNING is added at check time for providers that resize in place.
  RESIZE: { from: ['STOPPED'], during: 'RESIZING' },
  DELETE: { from: ['RUNNING', 'STOPPED', 'ERROR'], during: 'DELETING' },
};

/** Statuses in which an operation is not finished: terminal ones are SUCCEEDED, FAILED and CANCELLED. */
export const activeOperationStatuses = ['QUEUED', 'RUNNING'] as const;

/**
 * Throws CONFLICT when `kind` may not start from `status`. `resizeInPlace` is the provider's
 * capability to resize a running VM.
 */
export function assertTransitionAllowed(kind: Exclude<OperationKind, 'CREATE'>, status: VmStatus, resizeInPlace: boolean): void {
  if (status === 'DELETED') throw appError('CONFLICT', 'the VM is deleted', { reason: 'VM_DELETED', status });
  const allowed: readonly VmStatus[] =
    kind === 'RESIZE' && resizeInPlace ? [...lifecycleTransitions.RESIZE.from, 'RUNNING'] : lifecycleTransitions[kind].from;
  if (allowed.includes(status)) return;
  const reason =
    kind === 'RESIZE' && status === 'RUNNING'
      ? 'this provider resizes only stopped VMs: stop the VM first'
      : `cannot ${kind.toLowerCase()} a VM that is ${status}; allowed from ${allowed.join(', ')}`;
  throw appError('CONFLICT', reason, { reason: 'INVALID_STATE', status, allowed });
}
