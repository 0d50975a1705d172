import WebSocket from 'ws';

/** A WebSocket speaking `graphql-transport-ws` by hand, for protocol-level tests. */
export interface RawGraphQLSocket {
  socket: WebSocket;
  messages: Record<string, unknown>[];
  send(message: Record<string, unknown> | string): void;
  /** Resolves with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
  waitForMessage(predicate: (message: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}

/** Opens a raw socket on the gateway. */
export async function openRawGraphQLSocket(gatewayUrl: string): Promise<RawGraphQLSocket> {
  const socket = new WebSocket(gatewayUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const messages: Record<string, unknown>[] = [];
  const listeners = new Set<() => void>();
  socket.on('message', (data) => {
    messages.push(JSON.parse(String(data)) as Record<string, unknown>);
    for (const listener of listeners) listener();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    socket,
    messages,
    closed,
    send: (message) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    waitForMessage: (predicate) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find(predicate);
          if (found) {
            listeners.delete(check);
            resolve(found);
          }
        };
        listeners.add(check);
        void closed.then(({ code, reason }) => reject(new Error(`closed (${code} ${reason}) while waiting for a message`)));
        check();
      }),
  };
}
