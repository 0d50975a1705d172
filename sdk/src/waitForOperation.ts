import type { NovaCronClient } from './createNovaCronClient.ts';
import { OperationDocument, type OperationFieldsFragment } from './__generated__/graphql.ts';

const terminal = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/** Options for {@link waitForOperation}. */
export interface WaitForOperationOptions {
  /** Poll interval; default 250 ms. */
  intervalMs?: number;
  /** Reject after this long; default 5 minutes. */
  timeoutMs?: number;
  /** Called with every state seen, e.g. to show progress. */
  onProgress?: (operation: OperationFieldsFragment) => void;
}

/**
 * Polls an operation until it is SUCCEEDED, FAILED or CANCELLED and returns its final state.
 * (Live updates without polling arrive with subscriptions.)
 */
export async function waitForOperation(client: NovaCronClient, id: string, options: WaitForOperationOptions = {}): Promise<OperationFieldsFragment> {
  const deadline = Date.now() + (options.timeoutMs ?? 300_000);
  for (;;) {
    const { operation } = await client.request(OperationDocument, { id });
    if (!operation) throw new Error(`operation ${id} was not found`);
    options.onProgress?.(operation);
    if (terminal.has(operation.status)) return operation;
    if (Date.now() > deadline) throw new Error(`operation ${id} is still ${operation.status} after ${options.timeoutMs ?? 300_000} ms`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
  }
}
