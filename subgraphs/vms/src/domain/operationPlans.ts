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
