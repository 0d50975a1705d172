import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import type { FormattedExecutionResult } from 'graphql';
import WebSocket from 'ws';
import { createNovaCronSubscriptions, type NovaCronSubscriptions } from '@novacron/sdk';

/** A subscription under test: every result it received, and a way to wait for more. */
export interface CollectedSubscription<TData> {
  results: FormattedExecutionResult<TData>[];
  /** Resolves once `count` results arrived (or the predicate holds). */
  waitFor(predicate: (results: FormattedExecutionResult<TData>[]) => boolean, timeoutMs?: number): Promise<void>;
  completed: Promise<void>;
  error: Promise<unknown>;
  stop(): void;
}

/** Opens a graphql-ws client on the gateway's WebSocket URL, authenticated with `token` at connection_init. */
export function subscriptionsClient(gatewayUrl: string, options: { token: string; retryAttempts?: number }): NovaCronSubscriptions {
  return createNovaCronSubscriptions({
    url: gatewayUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: options.retryAttempts ?? 0,
    connectionParams: { authorization: `Bearer ${options.token}` },
  });
}

/** Subscribes and collects results. */
export function collect<TData, TVariables extends Record<string, unknown>>(
  client: NovaCronSubscriptions,
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  options: { resumableCursor?: (data: TData) => string | null | undefined } = {},
): CollectedSubscription<TData> {
  const results: FormattedExecutionResult<TData>[] = [];
  const waiters = new Set<() => void>();
  let resolveCompleted!: () => void;
  let resolveError!: (error: unknown) => void;
  const completed = new Promise<void>((resolve) => (resolveCompleted = resolve));
  const error = new Promise<unknown>((resolve) => (resolveError = resolve));
  const sink = {
    next: (result: FormattedExecutionResult<TData>) => {
      results.push(result);
      for (const waiter of waiters) waiter();
    },
    error: (caught: unknown) => resolveError(caught),
    complete: () => resolveCompleted(),
  };
  const stop = options.resumableCursor
    ? client.subscribeResumable(document, variables as never, options.resumableCursor, sink)
    : client.subscribe(document, variables, sink);
  return {
    results,
    completed,
    error,
    stop,
    waitFor: (predicate, timeoutMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (predicate(results)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out after ${timeoutMs} ms with ${results.length} results: ${JSON.stringify(results.slice(-3))}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
  };
}
