import { createServer } from 'node:net';

/**
 * Ports are picked below Linux's ephemeral range (32768–60999 by default): a port the kernel hands out
 * for `listen(0)` is in that range, and so is the local port of every outgoing connection. A server
 * told to bind such a port a moment later could find it taken by a client's connection (to Postgres,
 * say) opened in between, which happened to bench platforms again and again (EADDRINUSE). Nothing
 * takes a port outside the range unless asked to.
 */
const lowest = 20_000;
const highest = 32_767;

/** Whether `port` can be bound on 127.0.0.1 right now. */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The kernel's choice (an ephemeral port): the fallback when no port outside the range is free. */
function ephemeralPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A TCP port on 127.0.0.1 that is free now, for a server started a moment later. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const port = lowest + Math.floor(Math.random() * (highest - lowest + 1));
    if (await canBind(port)) return port;
  }
  return ephemeralPort();
}
