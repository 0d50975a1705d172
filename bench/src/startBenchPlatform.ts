import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDevelopmentKeys, signDevelopmentToken } from '@novacron/auth';
import type { Sql } from '@novacron/db';
import { envPrefix, readSubgraphManifest } from '@novacron/subgraph-kit';
import { childPidsOf, freePort } from '@novacron/testing';
import { startBenchDatabase } from './startBenchDatabase.ts';
import { createLogTail, platformPortEnv, retryWhenPortTaken, stopSupervisor, waitUntilReady } from './supervisePlatform.ts';

/** Options for {@link startBenchPlatform}. */
export interface BenchPlatformOptions {
  workerProcesses: number;
  workerConcurrency: number;
  simLatencyMs: string;
  cpuProfileDir: string | undefined;
  /** Load pg_stat_statements (needs one Postgres restart before the platform starts). */
  statementStats: boolean;
  /** Forward every platform log line (otherwise the first {@link quietLogLimit}). */
  verbose: boolean;
  /** Where platform log lines go. */
  log: (line: string) => void;
  /** The vms subgraph's admission limits (`concurrent,queued,queueMs` or `off`); its defaults when unset. */
  admission?: string | undefined;
  /** The gateway's admission limits (`inFlight,queued,queueMs` or `off`); its defaults when unset. */
  gatewayAdmission?: string | undefined;
  /** CREATE_GUARD_CACHE_MS for the vms subgraph (0: the platform's default, off). */
  guardCacheMs?: number;
  /** `targetMs[,workerConcurrency[,holdMs]]`: ACCEPT_PRESSURE_TARGET_MS, WORKER_YIELD_CONCURRENCY, WORKER_YIELD_HOLD_MS (workers yield to accepting). */
  acceptPressure?: string | undefined;
  /** The bench Postgres's autovacuum_naptime in seconds (0 or unset: Postgres's default). */
  autovacuumNaptimeSeconds?: number;
  /** WORKER_NICE for the workers (unset: the platform's default). */
  workerNice?: number | undefined;
  /** BACKGROUND_CGROUP (`auto`, a directory, or `off`); unset: the environment's. */
  backgroundCgroup?: string | undefined;
  /** SIM_CAPACITY_PER_REGION (unset: the platform's default, 100,000 instances per simulated region). */
  simCapacityPerRegion?: number | undefined;
}

/** The platform under test: its own Postgres, and `scripts/start.ts` supervising subgraph, workers and gateway. */
export interface BenchPlatform {
  gatewayUrl: string;
  /** Headers every GraphQL request needs: a development-key bearer token (tenant `bench`, role admin). */
  requestHeaders: Record<string, string>;
  databaseUrl: string;
  /** The run's development keys folder (NOVACRON_KEYS_DIR). */
  keysDir: string;
  /** Each subgraph's URL by name, as the platform's gateway reaches it. */
  subgraphUrls: Record<string, string>;
  /** A small pool on the bench database, for polling and integrity checks. */
  sql: Sql;
  /** The `npm start` supervisor's pid; the platform's processes are its children. */
  supervisorPid: number;
  /** Platform log lines seen so far (forwarded or not). */
  logLineCount(): number;
  /** Stops the supervisor (which stops its children), then Postgres, and removes the data folder. Idempotent. */
  stop(): Promise<void>;
}

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));
const quietLogLimit = 100;

/**
 * Starts a throw-away embedded PostgreSQL on a free port and the whole platform through the real
 * `npm start` supervisor (so the measured topology is the shipped one), and waits for the gateway's
 * `/ready`. On any failure everything started so far is stopped before the error propagates.
 */
export async function startBenchPlatform(options: BenchPlatformOptions): Promise<BenchPlatform> {
  return retryWhenPortTaken(() => startBenchPlatformOnce(options), options.log);
}

async function startBenchPlatformOnce(options: BenchPlatformOptions): Promise<BenchPlatform> {
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    while (cleanups.length > 0) await cleanups.pop()!().catch((error: unknown) => options.log(`clean-up failed: ${String(error)}`));
  };
  try {
    const { folder: parent, databaseUrl, sql } = await startBenchDatabase({
      folderPrefix: 'novacron-bench-pg-',
      database: 'bench',
      applicationName: 'novacron-bench',
      statementStats: options.statementStats,
      autovacuumNaptimeSeconds: options.autovacuumNaptimeSeconds,
      cleanups,
    });

    // The platform's development keys live with this run, not in the repository's .novacron/keys.
    const keysDir = join(parent, 'keys');
    const keys = await ensureDevelopmentKeys(keysDir);
    const token = await signDevelopmentToken({ keys, tenant: 'bench', roles: ['admin'], subject: 'bench', ttlSeconds: 12 * 3600 });

    const gatewayPort = await freePort();
    const portEnv = await platformPortEnv(parent);
    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      NOVACRON_KEYS_DIR: keysDir,
      // The per-tenant rate limit (600 a minute by default) would measure the limiter, not the
      // pipeline; it still runs (and costs what it costs) on every request.
      RATE_LIMIT_POINTS: '1000000000',
      // The same for the per-address budget and socket caps: every client of the bench is on 127.0.0.1.
      RATE_LIMIT_ADDRESS_POINTS: '1000000000',
      WS_MAX_CONNECTIONS_PER_ADDRESS: '1000000',
      WS_MAX_CONNECTIONS_PER_TENANT: '1000000',
      DATABASE_URL: databaseUrl,
      GATEWAY_PORT: String(gatewayPort),
      // Every subgraph and metrics port free, away from a platform a developer runs on 4001…, 9464….
      ...portEnv,
      WORKER_PROCESSES: String(options.workerProcesses),
      WORKER_CONCURRENCY: String(options.workerConcurrency),
      SIM_LATENCY_MS: options.simLatencyMs,
      LOG_LEVEL: 'warn',
      ...admissionEnv(options.admission),
      ...gatewayAdmissionEnv(options.gatewayAdmission),
      ...(options.guardCacheMs ? { CREATE_GUARD_CACHE_MS: String(options.guardCacheMs) } : {}),
      ...acceptPressureEnv(options.acceptPressure),
      ...(options.workerNice !== undefined ? { WORKER_NICE: String(options.workerNice) } : {}),
      ...(options.backgroundCgroup !== undefined ? { BACKGROUND_CGROUP: options.backgroundCgroup === 'off' ? '' : options.backgroundCgroup } : {}),
      ...(options.simCapacityPerRegion !== undefined ? { SIM_CAPACITY_PER_REGION: String(options.simCapacityPerRegion) } : {}),
    };
    if (options.cpuProfileDir) {
      const profileDir = resolve(options.cpuProfileDir);
      await mkdir(profileDir, { recursive: true });
      childEnv.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${profileDir}`.trim();
    }
    const supervisor = spawn(process.execPath, ['scripts/start.ts'], { cwd: repositoryRoot, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((done) => supervisor.once('exit', () => done()));
    let platformPids: number[] = [];
    cleanups.push(() => stopSupervisor(supervisor, exited, platformPids));
    let lines = 0;
    const tail = createLogTail();
    for (const stream of [supervisor.stdout, supervisor.stderr]) {
      let carry = '';
      stream.on('data', (chunk: Buffer) => {
        const parts = (carry + chunk.toString('utf8')).split('\n');
        carry = parts.pop() ?? '';
        for (const line of parts) {
          lines += 1;
          tail.push(line);
          if (options.verbose || lines <= quietLogLimit) options.log(line);
          else if (lines === quietLogLimit + 1) options.log(`… further platform log lines are counted but not shown (--verbose shows them)`);
        }
      });
    }
    const gatewayOrigin = `http://127.0.0.1:${gatewayPort}`;
    await waitUntilReady(`${gatewayOrigin}/ready`, supervisor, 120_000, tail.text);
    platformPids = childPidsOf(supervisor.pid!);
    return {
      gatewayUrl: `${gatewayOrigin}/graphql`,
      requestHeaders: { authorization: `Bearer ${token}` },
      databaseUrl,
      keysDir,
      subgraphUrls: Object.fromEntries(readSubgraphManifest().subgraphs.map(({ name }) => [name, portEnv[`${envPrefix(name)}_URL`]!])),
      sql,
      supervisorPid: supervisor.pid!,
      logLineCount: () => lines,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * GATEWAY_MAX_* for the gateway from `inFlight,queued,queueMs[,targetMs]` (`off`: GATEWAY_MAX_IN_FLIGHT=0);
 * `targetMs` turns on the adaptive limit (GATEWAY_ADMISSION_TARGET_MS).
 */
function gatewayAdmissionEnv(admission: string | undefined): Record<string, string> {
  if (admission === undefined) return {};
  if (admission === 'off') return { GATEWAY_MAX_IN_FLIGHT: '0' };
  const [inFlight = '', queued = '', queueMs = '', targetMs] = admission.split(',');
  return { GATEWAY_MAX_IN_FLIGHT: inFlight, GATEWAY_MAX_QUEUED: queued, GATEWAY_MAX_QUEUE_MS: queueMs, ...(targetMs ? { GATEWAY_ADMISSION_TARGET_MS: targetMs } : {}) };
}

/** The accept-pressure signal and the workers' yielding from `targetMs[,workerConcurrency[,holdMs]]`. */
function acceptPressureEnv(acceptPressure: string | undefined): Record<string, string> {
  if (!acceptPressure) return {};
  const [targetMs = '', concurrency, holdMs] = acceptPressure.split(',');
  return { ACCEPT_PRESSURE_TARGET_MS: targetMs, ...(concurrency ? { WORKER_YIELD_CONCURRENCY: concurrency } : {}), ...(holdMs ? { WORKER_YIELD_HOLD_MS: holdMs } : {}) };
}

/** MUTATION_MAX_* for the vms subgraph from `concurrent,queued,queueMs` (`off`: MUTATION_MAX_CONCURRENT=0). */
function admissionEnv(admission: string | undefined): Record<string, string> {
  if (admission === undefined) return {};
  if (admission === 'off') return { MUTATION_MAX_CONCURRENT: '0' };
  const [concurrent = '', queued = '', queueMs = ''] = admission.split(',');
  return { MUTATION_MAX_CONCURRENT: concurrent, MUTATION_MAX_QUEUED: queued, MUTATION_MAX_QUEUE_MS: queueMs };
}
