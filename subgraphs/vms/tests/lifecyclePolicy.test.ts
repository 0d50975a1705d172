import { describe, expect, it } from 'vitest';
import { AppError } from '@novacron/errors';
import { assertTransitionAllowed, lifecycleTransitions } from '../src/domain/lifecyclePolicy.ts';
import { operationKinds, vmStatuses, type OperationKind } from '../src/db/schema.ts';

const actionKinds = operationKinds.filter((kind): kind is Exclude<OperationKind, 'CREATE'> => kind !== 'CREATE');

function outcome(run: () => void): string {
  try {
    run();
    return 'allowed';
  } catch (error) {
    return error instanceof AppError ? error.code : 'threw something else';
  }
}

describe('lifecycle policy', () => {
  it.each(actionKinds)('allows %s only from its documented statuses', (kind) => {
    for (const status of vmStatuses) {
      const expected = lifecycleTransitions[kind].from.includes(status) ? 'allowed' : 'CONFLICT';
      expect(outcome(() => assertTransitionAllowed(kind, status, false)), `${kind} from ${status}`).toBe(expected);
    }
  });

  it('lets a provider that resizes in place resize a RUNNING VM', () => {
    expect(outcome(() => assertTransitionAllowed('RESIZE', 'RUNNING', true))).toBe('allowed');
    expect(outcome(() => assertTransitionAllowed('RESIZE', 'RUNNING', false))).toBe('CONFLICT');
  });

  it('tells the client to stop the VM first when the provider cannot resize it running', () => {
    expect(() => assertTransitionAllowed('RESIZE', 'RUNNING', false)).toThrow(/stop the VM first/);
  });

  it('reports a deleted VM as such, whatever the action', () => {
    for (const kind of actionKinds) {
      try {
        assertTransitionAllowed(kind, 'DELETED', true);
        expect.unreachable();
      } catch (error) {
        expect((error as AppError).extensions.reason).toBe('VM_DELETED');
      }
    }
  });
});
