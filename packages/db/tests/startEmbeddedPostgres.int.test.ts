import { spawn } from 'node:child_process';
import { access, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort, waitFor } from '@novacron/testing';
import { createPostgresFolder, createSql, PortInUseError, startEmbeddedPostgres } from '../src/index.ts';
import { isRunning } from '../src/procStat.ts';

const exists = (path: string) => access(path).then(() => true, () => false);

/** What the cluster at `url` answers to `select 1 + 1`. */
async function answer(url: string): Promise<number | undefined> {
  const sql = createSql(url, { max: 1 });
  try {
    const [row] = await sql<{ answer: number }[]>`select 1 + 1 as answer`;
    return row?.answer;
  } finally {
    await sql.end();
  }
}

/** Whether any process of the group led by `pid` is still alive. */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('startEmbeddedPostgres', () => {
  it('leaves the process exit code alone, so a failing run still fails', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/startAndExit.ts', import.meta.url));
    const child = spawn(process.execPath, [fixture, String(await freePort())], { stdio: 'inherit' });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(3);
  });

  it('says the port is taken and what to do, instead of failing with undefined', async () => {
    const port = await freePort();
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    const parent = await mkdtemp(join(tmpdir(), 'novacron-port-'));
    try {
      const error = await startEmbeddedPostgres({ dataDir: join(parent, 'data'), port, persistent: false }).then(() => null, (caught: unknown) => caught);
      expect(error).toBeInstanceOf(PortInUseError);
      expect((error as Error).message).toMatch(new RegExp(`port ${port} is already in use`));
      expect((error as Error).message).toMatch(/NOVACRON_PG_PORT=<port>/);
    } finally {
      squatter.close();
      await rm(parent, { recursive: true, force: true });
    }
  });

  it('starts after a first start was killed while initdb ran: the data folder holds a whole cluster or nothing', async () => {
    const scratch = await createPostgresFolder('novacron-initdb-kill-');
    try {
      const dataDir = join(scratch.folder, 'postgres');
      const fixture = fileURLToPath(new URL('./fixtures/initialiseAndWait.ts', import.meta.url));
      // A process group of its own, so the kill takes initdb (and its bootstrap backend) with it, as a
      // closed terminal or a SIGKILL of `npm start`'s group would.
      const child = spawn(process.execPath, [fixture, dataDir, String(await freePort())], { stdio: 'ignore', detached: true });
      const pid = child.pid!;
      const staging = `${dataDir}.initdb-${pid}`;
      try {
        // initdb writes PG_VERSION first and runs for a second or so after it.
        await waitFor(async () => (await exists(join(staging, 'PG_VERSION'))) || (await exists(join(dataDir, 'PG_VERSION'))), { timeoutMs: 60_000, intervalMs: 5 });
      } finally {
        process.kill(-pid, 'SIGKILL');
      }
      await waitFor(() => !groupAlive(pid), { timeoutMs: 10_000, intervalMs: 20 });
      // Killed mid-initdb: the half-made cluster is in the staging folder, the data folder is not there.
      expect(await exists(join(staging, 'PG_VERSION'))).toBe(true);
      expect(await exists(dataDir)).toBe(false);

      const postgres = await startEmbeddedPostgres({ dataDir, port: await freePort(), persistent: false });
      try {
        expect(await answer(postgres.url)).toBe(2);
        // The dead run's staging folder is gone, and none of this run's is left.
        expect((await readdir(scratch.folder)).sort()).toEqual(['postgres']);
      } finally {
        await postgres.stop();
      }
    } finally {
      await scratch.remove();
    }
  });

  it('stops a PostgreSQL that an earlier start, killed alone, left running on the folder, and starts in its place', async () => {
    const scratch = await createPostgresFolder('novacron-orphan-');
    const fixture = fileURLToPath(new URL('./fixtures/initialiseAndWait.ts', import.meta.url));
    const dataDir = join(scratch.folder, 'postgres');
    const port = await freePort();
    const child = spawn(process.execPath, [fixture, dataDir, String(port)], { stdio: 'ignore', detached: true });
    const pid = child.pid!;
    let leftover = 0;
    try {
      // postmaster.pid: line 1 the postmaster's pid, line 8 its status ("ready" once it takes connections).
      const lockFile = await waitFor(async () => {
        const text = await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '');
        return text.split('\n')[7]?.trim() === 'ready' ? text : undefined;
      }, { timeoutMs: 60_000, intervalMs: 50 });
      leftover = Number(lockFile.split('\n')[0]);
      // Only the start's own process dies (an OOM kill, `kill -9` of npm start): its PostgreSQL runs on.
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(pid, 'SIGKILL');
      await exited;
      expect(await isRunning(leftover)).toBe(true);

      const notes: string[] = [];
      const postgres = await startEmbeddedPostgres({ dataDir, port, persistent: false, onNote: (line) => notes.push(line) });
      try {
        expect(await isRunning(leftover)).toBe(false);
        expect(notes.join('\n')).toMatch(new RegExp(`stopping PostgreSQL \\(pid ${leftover}\\) left running`));
        expect(await answer(postgres.url)).toBe(2);
      } finally {
        await postgres.stop();
      }
    } finally {
      if (groupAlive(pid)) process.kill(-pid, 'SIGKILL');
      if (leftover > 0) {
        try {
          process.kill(leftover, 'SIGKILL');
        } catch {
          // Stopped, as it should be.
        }
      }
      await scratch.remove();
    }
  });

  it('refuses to initialise over a folder that holds files but no cluster, and removes nothing', async () => {
    const scratch = await createPostgresFolder('novacron-initdb-foreign-');
    try {
      const dataDir = join(scratch.folder, 'postgres');
      await mkdir(dataDir);
      await writeFile(join(dataDir, 'notes.txt'), 'mine');
      const error = await startEmbeddedPostgres({ dataDir, port: await freePort(), persistent: true }).then(() => null, (caught: unknown) => caught);
      expect((error as Error).message).toMatch(/not empty and holds no cluster/);
      expect(await exists(join(dataDir, 'notes.txt'))).toBe(true);
      expect((await readdir(scratch.folder)).sort()).toEqual(['postgres']);
    } finally {
      await scratch.remove();
    }
  });
});
