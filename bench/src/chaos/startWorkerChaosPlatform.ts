/**
 * The platform the worker chaos scenarios (R1 worker kills, R4 duplicate keys) run against: a
 * throw-away PostgreSQL, the vms subgraph and the gateway under the real `npm start` supervisor, and
 * operation workers as separate OS processes this module owns, so they can be SIGKILLed and replaced
 * without the supervisor taking the platform down.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Sql } from '@novacron/db';
import { startBenchPlatform } from '../startBenchPlatform.ts';

/** Options for {@link startWorkerChaosPlatform}. */
export interface WorkerChaosPlatformOptions {
  workerProcesses: number;
  workerConcurrency: number;
  /** Simulated provider latency, e.g. `"100-400"` ms. */
  simLatencyMs: string;
  /** Extra worker environment (lease length, sweep interval, …). */
  workerEnv?: Record<string, string>;
  /**
   * A started worker becomes killable after a random time between this and twice this, so it takes
   * jobs and sweeps before dying (a worker logs "started" seconds before its first job on a loaded
   * machine; killed at once, none would ever run anything). Default 3 s.
   */
  minWorkerLifetimeMs?: number;
  log: (line: string) => void;
}

/** A running chaos platform. */
export interface WorkerChaosPlatform {
  sql: Sql;
  /** Sends one GraphQL request through the gateway as an admin of tenant `bench`. */
  graphql<T>(query: string, variables: Record<string, unknown>): Promise<{ data?: T; errors?: { message: string; extensions?: { code?: string } }[] }>;
  /** Worker processes that have started and not been killed. */
  liveWorkers(): number;
  /** SIGKILLs one killable worker chosen at random and starts a replacement; false when none is killable yet. */
  killRandomWorker(): Promise<boolean>;
  stop(): Promise<void>;
}

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** Starts the platform with `workerProcesses` worker processes and waits until each has started. */
export async function startWorkerChaosPlatform(options: WorkerChaosPlatformOptions): Promise<WorkerChaosPlatform> {
  const platform = await startBenchPlatform({
    workerProcesses: 0,
    workerConcurrency: options.workerConcurrency,
    simLatencyMs: options.simLatencyMs,
    cpuProfileDir: undefined,
    statementStats: false,
    verbose: false,
    log: options.log,
  });
  const workerEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: platform.databaseUrl,
    NOVACRON_DEV: '1',
    SIM_LATENCY_MS: options.simLatencyMs,
    WORKER_CONCURRENCY: String(options.workerConcurrency),
    WORKER_HEALTH_PORT: '0',
    LOG_LEVEL: 'info',
    ...options.workerEnv,
  };
  const started = new Set<ChildProcess>();
  const killableAt = new WeakMap<ChildProcess, number>();
  const minLifetimeMs = options.minWorkerLifetimeMs ?? 3_000;
  const killed = new WeakSet<ChildProcess>();
  const all = new Set<ChildProcess>();
  let stopping = false;

  const spawnWorker = (): Promise<void> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, ['subgraphs/vms/src/workerMain.ts'], { cwd: repositoryRoot, env: workerEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      all.add(child);
      let output = '';
      const onData = (chunk: Buffer) => {
        if (started.has(child)) return;
        output += chunk.toString('utf8');
        if (output.includes('operation worker started')) {
          started.add(child);
          killableAt.set(child, Date.now() + minLifetimeMs * (1 + Math.random()));
          output = '';
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code, signal) => {
        all.delete(child);
        if (!started.has(child) && !killed.has(child) && !stopping) options.log(`a worker exited before it started (${signal ?? `code ${code}`}): ${output.slice(-500)}`);
        started.delete(child);
        resolve();
      });
    });

  const graphqlUrl = platform.gatewayUrl;
  const graphql: WorkerChaosPlatform['graphql'] = async (query, variables) => {
    const response = await fetch(graphqlUrl, {
      method: 'POST',
      headers: { ...platform.requestHeaders, 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(60_000),
    });
    return (await response.json()) as never;
  };

  try {
    await Promise.all(Array.from({ length: options.workerProcesses }, () => spawnWorker()));
  } catch (error) {
    await platform.stop();
    throw error;
  }

  return {
    sql: platform.sql,
    graphql,
    liveWorkers: () => started.size,
    killRandomWorker: async () => {
      const now = Date.now();
      const candidates = [...started].filter((child) => (killableAt.get(child) ?? Infinity) <= now);
      const victim = candidates[Math.floor(Math.random() * candidates.length)];
      if (!victim) return false;
      started.delete(victim);
      killed.add(victim);
      const exited = new Promise<void>((resolve) => victim.once('exit', () => resolve()));
      victim.kill('SIGKILL');
      await exited;
      void spawnWorker();
      return true;
    },
    stop: async () => {
      stopping = true;
      await Promise.all(
        [...all].map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGTERM');
              setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
            }),
        ),
      );
      await platform.stop();
    },
  };
}

/** Result every chaos scenario returns to `npm run chaos`. */
export interface ChaosResult {
  name: string;
  passed: boolean;
  figures: Record<string, number | string>;
}
