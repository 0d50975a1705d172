import type { OperationKind, StoredStep } from '../db/schema.ts';

/** The steps each kind of operation runs, in order. Workers resume from the first unfinished one. */
export const operationPlans: Record<OperationKind, readonly string[]> = {
  CREATE: ['validate', 'provision', 'wait-running', 'finalize'],
  START: ['start', 'wait-running', 'finalize'],
  STOP: ['stop', 'wait-stopped', 'finalize'],
  REBOOT: ['reboot', 'wait-running', 'finalize'],
  RESIZE: ['resize', 'wait-resized', 'finalize'],
  DELETE: ['delete', 'wait-deleted', 'finalize'],
};

/** The initial, all-pending steps of an operation. */
export function plannedSteps(kind: OperationKind): StoredStep[] {
  return operationPlans[kind].map((name) => ({ name, status: 'PENDING', startedAt: null, finishedAt: null, message: null }));
}

/**
 * The plan step a recorded step runs: a placed create's provision attempts are named after their
 * offering (`provision (aws us-east-2 t3.medium)`) and run the `provision` handler.
 */
export function planStepOf(name: string): string {
  const open = name.indexOf(' (');
  return open < 0 ? name : name.slice(0, open);
}
