import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type FormattedExecutionResult } from 'graphql';
import { createClient, type Client, type ClientOptions } from 'graphql-ws';

/** Options for {@link createNovaCronSubscriptions}. */
export interface NovaCronSubscriptionsOptions {
  /** The gateway's WebSocket endpoint, e.g. `ws://localhost:4000/graphql`. */
  url: string;
  /** Sent in `connection_init` (an access token, …). */
  connectionParams?: ClientOptions['connectionParams'];
  /** A WebSocket implementation where there is no global one. */
  webSocketImpl?: unknown;
  /** Reconnect attempts after a dropped connection (default 5). */
  retryAttempts?: number;
}

/** Receives a subscription's results. */
export interface SubscriptionSink<TData> {
  next(result: FormattedExecutionResult<TData>): void;
  error?(error: unknown): void;
  complete?(): void;
  /**
   * A resumable stream only: the gateway answered `RESYNC_REQUIRED` (the client missed more events
   * than it replays). With this set, the subscription starts again from the head of the stream and
   * this is called: reload the current state (events racing the reload carry versions to compare).
   * Without it, the answer reaches `error` (or `next`) like any other.
   */
  resync?(): void;
}

/** Whether a subscription's errors include `RESYNC_REQUIRED`. */
export function isResyncRequired(errors: unknown): boolean {
  return Array.isArray(errors) && errors.some((error) => (error as { extensions?: { code?: unknown } } | null)?.extensions?.code === 'RESYNC_REQUIRED');
}

/** Typed subscriptions over graphql-ws. */
export interface NovaCronSubscriptions {
  /** Subscribes; returns a function that unsubscribes. */
  subscribe<TData, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
    sink: SubscriptionSink<TData>,
  ): () => void;
  /**
   * Subscribes to a resumable stream (`vmEvents`): keeps the last `cursor` seen and, when the
   * connection drops and graphql-ws reconnects, resubscribes with `after` set to it, so no event is
   * missed or repeated. `cursorOf` reads the cursor from a result.
   */
  subscribeResumable<TData, TVariables extends Record<string, unknown> & { after?: string | null }>(
    document: TypedDocumentNode<TData, TVariables>,
    variables: TVariables,
    cursorOf: (data: TData) => string | null | undefined,
    sink: SubscriptionSink<TData>,
  ): () => void;
  /** The underlying graphql-ws client. */
  readonly client: Client;
  dispose(): Promise<void>;
}

/** Creates a subscription client for the NovaCron gateway; use it with the generated documents (`VmEventsDocument`, …). */
export function createNovaCronSubscriptions(options: NovaCronSubscriptionsOptions): NovaCronSubscriptions {
  const client = createClient({
    url: options.url,
    connectionParams: options.connectionParams,
    webSocketImpl: options.webSocketImpl,
    retryAttempts: options.retryAttempts ?? 5,
    lazy: true,
  });
  const subscribe: NovaCronSubscriptions['subscribe'] = (document, variables, sink) =>
    client.subscribe<TDataOf<typeof document>>(
      { query: print(document), variables },
      {
        next: (result) => sink.next(result as never),
        error: (error) => sink.error?.(error),
        complete: () => sink.complete?.(),
      },
    );
  return {
    client,
    subscribe,
    subscribeResumable(document, variables, cursorOf, sink) {
      // graphql-ws sends this same payload again when it reconnects: keeping `after` current in it
      // is what makes the resubscription resume right after the last event seen.
      const payload = { query: print(document), variables: { ...variables } as Record<string, unknown> };
      // Each (re)subscription has its generation; a retired one's late messages are ignored.
      let generation = 0;
      let unsubscribe = () => {};
      const start = () => {
        const own = ++generation;
        const resync = (errors: unknown) => {
          if (!sink.resync || !isResyncRequired(errors)) return false;
          generation += 1;
          const retired = unsubscribe;
          payload.variables.after = null;
          sink.resync();
          queueMicrotask(() => {
            retired();
            start();
          });
          return true;
        };
        unsubscribe = client.subscribe(payload, {
          next: (result) => {
            if (own !== generation || (result.errors && resync(result.errors))) return;
            const cursor = result.data ? cursorOf(result.data as never) : null;
            if (cursor) payload.variables.after = cursor;
            sink.next(result as never);
          },
          error: (error) => {
            if (own === generation && !resync(error)) sink.error?.(error);
          },
          complete: () => {
            if (own === generation) sink.complete?.();
          },
        });
      };
      start();
      return () => {
        generation += 1;
        unsubscribe();
      };
    },
    dispose: async () => {
      await client.dispose();
    },
  };
}

type TDataOf<T> = T extends TypedDocumentNode<infer TData, Record<string, unknown>> ? TData : never;
