import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/** A request handler that may be async; a thrown error becomes a 500. */
export type EmulatorHandler = (request: IncomingMessage, body: Buffer, response: ServerResponse) => Promise<void> | void;

/** A running loopback server. */
export interface LoopbackServer {
  /** `http://127.0.0.1:<port>` or `https://127.0.0.1:<port>`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Serves a handler on 127.0.0.1 and a free port, over TLS when a certificate is given. Bodies are
 * read whole first: cloud API bodies are small.
 */
export async function listenLoopback(handler: EmulatorHandler, tls?: { cert: string; key: string }): Promise<LoopbackServer> {
  const listener = (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      Promise.resolve()
        .then(() => handler(request, Buffer.concat(chunks), response))
        .catch((error: unknown) => {
          if (response.headersSent) return void response.destroy();
          response.statusCode = 500;
          response.setHeader('content-type', 'text/plain');
          response.end(`emulator error: ${error instanceof Error ? error.message : String(error)}`);
        });
    });
  };
  const server: Server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, listener) : createHttpServer(listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Drops the connection without an answer: the client sees a reset socket, as when a response is lost. */
export function loseResponse(response: ServerResponse): void {
  response.socket?.destroy();
}
