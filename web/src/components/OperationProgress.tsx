import { OperationUpdatedDocument, type OperationFieldsFragment } from '@novacron/sdk';
import { useEffect } from 'react';
import { useSubscription } from 'urql';
import { ErrorMessage } from './ErrorMessage.tsx';
import { StatusBadge } from './StatusBadge.tsx';

const terminal = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/** One operation with its steps, kept live by `operationUpdated` (no polling) until it ends. */
export function OperationProgress({ operation: initial, onUpdate }: { operation: OperationFieldsFragment; onUpdate?: (operation: OperationFieldsFragment) => void }) {
  const [{ data, error }] = useSubscription(
    { query: OperationUpdatedDocument, variables: { id: initial.id }, pause: terminal.has(initial.status) },
    (previous: OperationFieldsFragment | undefined, result) => {
      const next = result.operationUpdated;
      // Progress only moves forward: ignore a replayed older state.
      return previous && terminal.has(previous.status) ? previous : next;
    },
  );
  useEffect(() => {
    if (data) onUpdate?.(data);
  }, [data, onUpdate]);
  const operation = data ?? initial;
  const percent = operation.progress;
  return (
    <section className="operation" aria-label={`Operation ${operation.kind} ${operation.id}`}>
      <header>
        <strong>{operation.kind}</strong> <StatusBadge status={operation.status} /> <span className="muted">#{operation.id}</span>
      </header>
      <progress max={100} value={percent} aria-label={`${operation.kind} progress`}>
        {percent}%
      </progress>
      <ol className="steps">
        {operation.steps.map((step) => (
          <li key={step.name} data-status={step.status}>
            <StatusBadge status={step.status} /> {step.name}
            {step.message ? <span className="muted"> — {step.message}</span> : null}
          </li>
        ))}
      </ol>
      {operation.error ? (
        <div role="alert" className="error">
          <code className="code">{operation.error.code}</code> {operation.error.message}
          {operation.error.providerCode ? <span className="muted"> (provider: {operation.error.providerCode})</span> : null}
        </div>
      ) : null}
      <ErrorMessage error={error} />
    </section>
  );
}
