import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDevelopmentKeys, signDevelopmentToken } from '@novacron/auth';
import { createPostgresFolder, createSql, ensureDatabase, startEmbeddedPostgres, type RunningPostgres, type Sql } from '@novacron/db';
import { childPidsOf, freePort, freePortRange } from '@novacron/testing';
import { isAlive, retryWhenPortTaken, stopSupervisor, waitUntilReady } from '../supervisePlatform.ts';

/** The platform a chaos scenario breaks: its own PostgreSQL (which can crash) and `npm start`'s supervisor. */
export interface ChaosPlatform {
  gatewayUrl: string;
  /** Bearer token of an admin of tenant `chaos`. */
  token: string;
  databaseUrl: string;
  /** A small pool on the platform's database, for checks (it reconnects after a crash). */
  sql: Sql;
  /** Stops PostgreSQL as `pg_ctl stop -m immediate` does (SIGQUIT to the postmaster): no checkpoint, a crash. */
  crashPostgres(): Promise<void>;
  /** Starts PostgreSQL again on the same data and port; it recovers from its WAL. */
  restartPostgres(): Promise<void>;
  /** True while the supervisor (and so every platform process: it stops all when one dies) runs. */
  supervisorAlive(): boolean;
  /** Platform log lines that mention an exit or a fatal error, then the last lines before now. */
  notableLines(): string[];
  stop(): Promise<void>;
}

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Starts a throw-away embedded PostgreSQL and the platform through the real `npm start` supervisor
 * with `env` added. The database commits synchronously (`synchronous_commit = on` for its database,
 * which overrides the embedded default `off`): with `off`, a crash may lose commits that were
 * already acknowledged, by design of that setting, and R2 asks that none be lost.
 */
export async function startChaosPlatform(options: { env: Record<string, string>; log: (line: string) => void }): Promise<ChaosPlatform> {
  return retryWhenPortTaken(() => startChaosPlatformOnce(options), options.log);
}

async function startChaosPlatformOnce(options: { env: Record<string, string>; log: (line: string) => void }): Promise<ChaosPlatform> {
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    while (cleanups.length > 0) await cleanups.pop()!().catch((error: unknown) => options.log(`clean-up failed: ${String(error)}`));
  };
  try {
    const { folder, dataDir, remove } = await createPostgresFolder('novacron-chaos-');
    cleanups.push(remove);
    const port = await freePort();
    let postgres: RunningPostgres = await startEmbeddedPostgres({ dataDir, port, persistent: true });
    cleanups.push(() => postgres.stop());
    const databaseUrl = await ensureDatabase(postgres.url, 'chaos');
    const sql = createSql(databaseUrl, { max: 2, applicationName: 'novacron-chaos' });
    cleanups.push(() => sql.end({ timeout: 5 }));
    await sql.unsafe('alter database chaos set synchronous_commit = on');

    const keysDir = join(folder, 'keys');
    const keys = await ensureDevelopmentKeys(keysDir);
    const token = await signDevelopmentToken({ keys, tenant: 'chaos', roles: ['admin'], subject: 'chaos', ttlSeconds: 12 * 3600 });
    const gatewayPort = await freePort();
    // Every subgraph of the manifest on a free port (`<NAME>_PORT`), and metrics ports counted up
    // from a free one: a developer's `npm start` on the defaults must not collide with the run.
    const manifest = JSON.parse(await readFile(join(repositoryRoot, 'schema/subgraphs.json'), 'utf8')) as { subgraphs: { name: string }[] };
    const subgraphPorts: Record<string, string> = {};
    for (const { name } of manifest.subgraphs) subgraphPorts[`${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_PORT`] = String(await freePort());
    const supervisor = spawn(process.execPath, ['scripts/start.ts'], {
      cwd: repositoryRoot,
      env: {
        ...process.env,
        NOVACRON_KEYS_DIR: keysDir,
        NOVACRON_DEV: '1',
        RATE_LIMIT_POINTS: '1000000000',
        RATE_LIMIT_ADDRESS_POINTS: '1000000000',
        DATABASE_URL: databaseUrl,
        GATEWAY_PORT: String(gatewayPort),
        METRICS_BASE_PORT: String(await freePortRange(32)),
        ...subgraphPorts,
        LOG_LEVEL: 'warn',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<void>((done) => supervisor.once('exit', () => done()));
    let platformPids: number[] = [];
    cleanups.push(() => stopSupervisor(supervisor, exited, platformPids));
    const notable: string[] = [];
    // The last lines of each process (`[vms] …`, `[worker-1] …`): why one of them exited.
    const recent = new Map<string, string[]>();
    for (const stream of [supervisor.stdout, supervisor.stderr]) {
      let carry = '';
      stream.on('data', (chunk: Buffer) => {
        const parts = (carry + chunk.toString('utf8')).split('\n');
        carry = parts.pop() ?? '';
        for (const line of parts) {
          if (/exited|fatal|stopping|failed to start/i.test(line) && notable.length < 50) notable.push(line.slice(0, 600));
          const process = /^\[([\w-]+)\]/.exec(line)?.[1] ?? 'other';
          const lines = recent.get(process) ?? [];
          lines.push(line.slice(0, 600));
          if (lines.length > 4) lines.shift();
          recent.set(process, lines);
        }
      });
    }
    const gatewayOrigin = `http://127.0.0.1:${gatewayPort}`;
    await waitUntilReady(`${gatewayOrigin}/ready`, supervisor, 120_000).catch((error: unknown) => {
      // Say why: the lines of the processes that exited.
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${[...notable, '… last lines of each process:', ...[...recent.values()].flat()].join('\n')}`, { cause: error });
    });
    platformPids = childPidsOf(supervisor.pid!);

    return {
      gatewayUrl: `${gatewayOrigin}/graphql`,
      token,
      databaseUrl,
      sql,
      crashPostgres: async () => {
        const pid = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
        process.kill(pid, 'SIGQUIT');
        while (isAlive(pid)) await new Promise((done) => setTimeout(done, 50));
      },
      restartPostgres: async () => {
        postgres = await startEmbeddedPostgres({ dataDir, port, persistent: true });
      },
      supervisorAlive: () => supervisor.exitCode === null && supervisor.signalCode === null,
      notableLines: () => [...notable, '… last lines of each process:', ...[...recent.values()].flat()],
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
