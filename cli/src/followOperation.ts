import { SingleBar } from 'cli-progress';
import { OperationUpdatedDocument, waitForOperation, type OperationFieldsFragment } from '@novacron/sdk';
import { isInteractive, type Io } from './Io.ts';
import type { Session } from './session.ts';

const terminal = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/**
 * Follows an operation to its end over `operationUpdated` (graphql-ws, no polling), drawing a progress
 * bar of its steps for a person at a terminal and one line per step change otherwise (unless quiet).
 * Falls back to polling only if the subscription cannot be opened.
 */
export async function followOperation(session: Session, io: Io, operationId: string, options: { quiet: boolean }): Promise<OperationFieldsFragment> {
  const bar = !options.quiet && isInteractive(io) ? new SingleBar({ format: '{bar} {percentage}% | {step}', stream: io.stderr as NodeJS.WriteStream, hideCursor: true, clearOnComplete: false }) : null;
  let lastLine = '';
  const show = (operation: OperationFieldsFragment) => {
    const running = operation.steps.find((step) => step.status === 'RUNNING') ?? operation.steps.findLast((step) => step.status !== 'PENDING');
    const step = running ? `${running.name} ${running.status.toLowerCase()}` : operation.status.toLowerCase();
    if (bar) {
      if (!bar.isActive) bar.start(100, operation.progress, { step });
      bar.update(operation.progress, { step });
    } else if (!options.quiet) {
      const line = `${operation.status} ${operation.progress}% ${step}`;
      if (line !== lastLine) io.stderr.write(`${line}\n`);
      lastLine = line;
    }
  };
  try {
    return await new Promise<OperationFieldsFragment>((resolve, reject) => {
      let latest: OperationFieldsFragment | null = null;
      session.live().subscribe(OperationUpdatedDocument, { id: operationId }, {
        next: (result) => {
          if (result.errors?.length) return reject(Object.assign(new Error(result.errors[0]?.message), { code: result.errors[0]?.extensions?.code }));
          const operation = result.data?.operationUpdated;
          if (!operation) return;
          latest = operation;
          show(operation);
          if (terminal.has(operation.status)) resolve(operation);
        },
        error: reject,
        complete: () => (latest && terminal.has(latest.status) ? resolve(latest) : reject(new Error('the subscription ended before the operation did'))),
      });
    }).catch(async (error: unknown) => {
      if ((error as { code?: string }).code === 'NOT_FOUND') throw error;
      // No WebSocket (a proxy that blocks it): poll instead of failing.
      return waitForOperation(session.client, operationId, { onProgress: show });
    });
  } finally {
    bar?.stop();
  }
}
