import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startKeepAlive, type PingableSocket } from '../src/subscriptions/startKeepAlive.ts';

class Socket implements PingableSocket {
  pings: number[] = [];
  terminated = false;
  ping() {
    this.pings.push(Date.now());
  }
  terminate() {
    this.terminated = true;
  }
}

const intervalMs = 10_000;

describe('keep-alive', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('pings every connection once per interval, a slice at a time rather than all in one tick', () => {
    const clients = new Set(Array.from({ length: 1_000 }, () => new Socket()));
    const keepAlive = startKeepAlive(clients, intervalMs);
    for (const socket of clients) socket.pings.length = 0;
    vi.advanceTimersByTime(intervalMs);
    const pinged = [...clients].filter((socket) => socket.pings.length > 0);
    expect(pinged.length).toBeGreaterThanOrEqual(990);
    // No socket twice within one interval, and no tick pinging more than a hundredth of them.
    expect(pinged.every((socket) => socket.pings.length === 1)).toBe(true);
    const perTick = new Map<number, number>();
    for (const socket of pinged) perTick.set(socket.pings[0]!, (perTick.get(socket.pings[0]!) ?? 0) + 1);
    expect(Math.max(...perTick.values())).toBeLessThanOrEqual(10);
    expect(perTick.size).toBeGreaterThanOrEqual(99);
    keepAlive.stop();
  });

  it('terminates a connection that did not answer its previous ping, and keeps one that did', () => {
    const answering = new Socket();
    const silent = new Socket();
    const clients = new Set([answering, silent]);
    const keepAlive = startKeepAlive(clients, intervalMs);
    vi.advanceTimersByTime(intervalMs / 2);
    expect(answering.pings.length).toBe(1);
    expect(silent.pings.length).toBe(1);
    keepAlive.markAlive(answering);
    vi.advanceTimersByTime(intervalMs);
    expect(silent.terminated).toBe(true);
    expect(answering.terminated).toBe(false);
    expect(answering.pings.length).toBe(2);
    keepAlive.stop();
  });

  it('reaches connections added during a round, and stops pinging after stop', () => {
    const clients = new Set<Socket>();
    const keepAlive = startKeepAlive(clients, intervalMs);
    vi.advanceTimersByTime(intervalMs / 2);
    const late = new Socket();
    clients.add(late);
    vi.advanceTimersByTime(intervalMs * 1.5);
    expect(late.pings.length).toBeGreaterThanOrEqual(1);
    keepAlive.stop();
    const before = late.pings.length;
    vi.advanceTimersByTime(intervalMs * 3);
    expect(late.pings.length).toBe(before);
  });
});
