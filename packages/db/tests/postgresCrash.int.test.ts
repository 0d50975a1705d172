import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '@novacron/testing';
import { createPostgresFolder, startEmbeddedPostgres, type RunningPostgres } from '../src/index.ts';

interface PoolReport {
  served: number[];
  failures: Record<string, number>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Crashes the cluster as `pg_ctl stop -m immediate` does: SIGQUIT to the postmaster, no checkpoint. */
async function crashPostgres(dataDir: string): Promise<void> {
  const pid = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
  process.kill(pid, 'SIGQUIT');
  await waitFor(() => !isAlive(pid), { description: 'the postmaster to exit' });
}

describe('a postgres.js pool through a PostgreSQL crash', () => {
  it('keeps the process alive with queries in flight and serves every client again after the restart', async () => {
    const { dataDir, remove } = await createPostgresFolder('novacron-crash-');
    const port = await freePort();
    // The crashed server's handle is dropped: stopping a server that is gone never settles.
    let postgres: RunningPostgres | null = await startEmbeddedPostgres({ dataDir, port, persistent: true });
    const url = postgres.url;
    cleanups.push(remove);
    cleanups.push(async () => postgres?.stop());

    const fixture = fileURLToPath(new URL('./fixtures/poolThroughCrash.ts', import.meta.url));
    const child: ChildProcess = spawn(process.execPath, [fixture, url], { stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    cleanups.push(async () => void (child.exitCode === null && child.kill('SIGKILL')));
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let latest: PoolReport = { served: [], failures: {} };
    createInterface({ input: child.stdout! }).on('line', (line) => (latest = JSON.parse(line) as PoolReport));
    const alive = () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the pool's process died:\n${stderr}`);
      return true;
    };
    const everyClientPast = (floor: number[]) => alive() && latest.served.length > 0 && latest.served.every((count, index) => count >= (floor[index] ?? 0) + 3);

    await waitFor(() => everyClientPast([]), { description: 'every client to be served before the crash', timeoutMs: 30_000 });
    postgres = null;
    await crashPostgres(dataDir);
    await waitFor(() => alive() && Object.keys(latest.failures).length > 0, { description: 'the clients to see the crash', timeoutMs: 30_000 });
    postgres = await startEmbeddedPostgres({ dataDir, port, persistent: true });
    const atRestart = [...latest.served];
    await waitFor(() => everyClientPast(atRestart), { description: 'every client to be served again after the restart', timeoutMs: 45_000 });

    child.stdin!.end();
    const { code, signal } = await exited;
    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    expect(Object.values(latest.failures).reduce((sum, count) => sum + count, 0)).toBeGreaterThan(0);
    expect(latest.served.every((count, index) => count >= atRestart[index]! + 3)).toBe(true);
  });
});
