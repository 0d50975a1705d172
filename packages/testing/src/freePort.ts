import { mkdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Ports are picked below Linux's ephemeral range (32768–60999 by default): a port the kernel hands out
 * for `listen(0)` is in that range, and so is the local port of every outgoing connection. A server
 * told to bind such a port a moment later could find it taken by a client's connection (to Postgres,
 * say) opened in between, which happened to bench platforms again and again (EADDRINUSE). Nothing
 * takes a port outside the range unless asked to.
 */
const lowest = 20_000;
const highest = 32_767;

/**
 * A port handed out is reserved for a while, across processes (vitest runs test files in several),
 * by a file named after it: a port is often bound seconds after it was picked (`npm start` starts
 * four subgraphs before the gateway it was picked for), and another test file picking the same port
 * in between took it first, once in a full run: its server got the port and ours died at start.
 */
const reservations = join(tmpdir(), 'novacron-test-ports');
/** Long enough for the slowest start under load; a reservation older than this is free again. */
const reservedForMs = 5 * 60_000;

/** Reserves `port` for this process unless another holds a fresh reservation of it. */
function reserve(port: number): boolean {
  const file = join(reservations, String(port));
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        mkdirSync(reservations, { recursive: true });
        continue;
      }
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - (statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0);
      if (age < reservedForMs) return false;
      // Stale: whoever reserved it is long done with it.
      try {
        unlinkSync(file);
      } catch {
        // Another process cleared it first; the next attempt decides.
      }
    }
  }
  return false;
}

function release(port: number): void {
  try {
    unlinkSync(join(reservations, String(port)));
  } catch {
    // Already gone.
  }
}

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

/**
 * The first of `count` consecutive TCP ports on 127.0.0.1 that are free now and reserved for this
 * caller, for servers started a moment later (`METRICS_BASE_PORT` of `npm start` takes one per process).
 */
export async function freePortRange(count: number): Promise<number> {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${count}`);
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const first = lowest + Math.floor(Math.random() * (highest - lowest + 2 - count));
    const ports = Array.from({ length: count }, (_, index) => first + index);
    const reserved = ports.filter(reserve);
    if (reserved.length < count) {
      for (const port of reserved) release(port);
      continue;
    }
    if ((await Promise.all(ports.map(canBind))).every(Boolean)) return first;
  }
  if (count === 1) return ephemeralPort();
  throw new Error(`no ${count} consecutive free ports between ${lowest} and ${highest}`);
}

/** A TCP port on 127.0.0.1 that is free now and reserved for this caller, for a server started a moment later. */
export function freePort(): Promise<number> {
  return freePortRange(1);
}
