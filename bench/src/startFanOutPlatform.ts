import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDevelopmentKeys, signDevelopmentToken } from '@novacron/auth';
import type { Sql } from '@novacron/db';
import { childPidsOf, freePort } from '@novacron/testing';
import { startBenchDatabase } from './startBenchDatabase.ts';
import { createLogTail, platformPortEnv, retryWhenPortTaken, stopSupervisor, waitUntilReady } from './supervisePlatform.ts';

/** Options for {@link startFanOutPlatform}. */
export interface FanOutPlatformOptions {
  simLatencyMs: string;
  /** The checkout to run `scripts/start.ts` from (default: this repository). */
  root?: string | undefined;
  /** When set, every platform process writes a V8 CPU profile into this folder when it exits. */
  cpuProfileDir?: string | undefined;
  /** When set, every platform process writes a heap snapshot here on SIGUSR2 (the bench signals the gateway only). */
  heapSnapshotDir?: string | undefined;
  /** Forward every platform log line (otherwise the first {@link quietLogLimit}). */
  verbose: boolean;
  log: (line: string) => void;
}

/** The platform under test: its own Postgres, and `scripts/start.ts` supervising subgraph, worker and gateway. */
export interface FanOutPlatform {
  /** `http://127.0.0.1:<port>` */
  gatewayOrigin: string;
  /** The gateway's Prometheus endpoint (from the targets file `npm start` writes). */
  gatewayMetricsUrl: string;
  /** `Bearer <token>`: a development-key token (tenant `bench`, role operator), for HTTP and `connection_init`. */
  authorization: string;
  databaseUrl: string;
  /** A small pool on the bench database (polling operations, counting events). */
  sql: Sql;
  /** The gateway process's pid (for `/proc` samples next to `/metrics`). */
  gatewayPid: number | undefined;
  /** Platform log lines seen so far. */
  logLineCount(): number;
  /** Warning and error lines (pino levels ≥ 40) seen so far: their count and the first few. */
  warnings(): { count: number; samples: string[] };
  /** Stops the supervisor and any platform process it left, then Postgres; removes the data folder. Idempotent. */
  stop(): Promise<void>;
}

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));
const quietLogLimit = 100;

/**
 * Starts a throw-away embedded PostgreSQL (database `bench_subs`) on a free port and the platform
 * through the real `npm start` supervisor on free ports, and waits for the gateway's `/ready`. The
 * environment passes through, so gateway settings (`WS_KEEP_ALIVE_MS`, …) reach it.
 */
export async function startFanOutPlatform(options: FanOutPlatformOptions): Promise<FanOutPlatform> {
  return retryWhenPortTaken(() => startFanOutPlatformOnce(options), options.log);
}

async function startFanOutPlatformOnce(options: FanOutPlatformOptions): Promise<FanOutPlatform> {
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    while (cleanups.length > 0) await cleanups.pop()!().catch((error: unknown) => options.log(`clean-up failed: ${String(error)}`));
  };
  try {
    const { folder: parent, databaseUrl, sql } = await startBenchDatabase({
      folderPrefix: 'novacron-bench-subs-',
      database: 'bench_subs',
      applicationName: 'novacron-bench-subs',
      cleanups,
    });

    // The platform's development keys live with this run, not in the repository's .novacron/keys.
    const keysDir = join(parent, 'keys');
    const keys = await ensureDevelopmentKeys(keysDir);
    const token = await signDevelopmentToken({ keys, tenant: 'bench', roles: ['operator'], subject: 'bench-subscriptions', ttlSeconds: 12 * 3600 });

    const gatewayPort = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NOVACRON_KEYS_DIR: keysDir,
      // The per-tenant rate limit (600 a minute by default) would throttle the state-change driver;
      // it still runs on every request.
      RATE_LIMIT_POINTS: '1000000000',
      // The same for the per-address budget and socket caps: every client of the bench is on 127.0.0.1.
      RATE_LIMIT_ADDRESS_POINTS: '1000000000',
      WS_MAX_CONNECTIONS_PER_ADDRESS: '1000000',
      WS_MAX_CONNECTIONS_PER_TENANT: '1000000',
      DATABASE_URL: databaseUrl,
      GATEWAY_PORT: String(gatewayPort),
      // Every subgraph and metrics port free, away from a platform a developer runs on 4001…, 9464….
      ...(await platformPortEnv(parent)),
      SIM_LATENCY_MS: options.simLatencyMs,
      LOG_LEVEL: 'warn',
    };
    if (options.cpuProfileDir) {
      const profileDir = resolve(options.cpuProfileDir);
      await mkdir(profileDir, { recursive: true });
      env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${profileDir}`.trim();
    }
    if (options.heapSnapshotDir) {
      const snapshotDir = resolve(options.heapSnapshotDir);
      await mkdir(snapshotDir, { recursive: true });
      env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${snapshotDir}`.trim();
    }
    const supervisor = spawn(process.execPath, ['scripts/start.ts'], {
      cwd: options.root ?? repositoryRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<void>((done) => supervisor.once('exit', () => done()));
    let platformPids: number[] = [];
    cleanups.push(() => stopSupervisor(supervisor, exited, platformPids));
    let lines = 0;
    const tail = createLogTail();
    let targetsFile: (path: string) => void = () => {};
    const targetsWritten = new Promise<string>((resolve) => (targetsFile = resolve));
    const warnings = { count: 0, samples: [] as string[] };
    for (const stream of [supervisor.stdout, supervisor.stderr]) {
      let carry = '';
      stream.on('data', (chunk: Buffer) => {
        const parts = (carry + chunk.toString('utf8')).split('\n');
        carry = parts.pop() ?? '';
        for (const line of parts) {
          lines += 1;
          tail.push(line);
          const targets = /Prometheus targets \(file_sd\) of every process: (\S+)/.exec(line);
          if (targets?.[1]) targetsFile(targets[1]);
          if (/"level":(40|50|60)\b|\b(WARN|ERROR|FATAL)\b/.test(line)) {
            warnings.count += 1;
            if (warnings.samples.length < 10) warnings.samples.push(line.slice(0, 400));
          }
          if (options.verbose || lines <= quietLogLimit) options.log(line);
          else if (lines === quietLogLimit + 1) options.log('… further platform log lines are counted but not shown (--verbose shows them)');
        }
      });
    }
    const gatewayOrigin = `http://127.0.0.1:${gatewayPort}`;
    await waitUntilReady(`${gatewayOrigin}/ready`, supervisor, 120_000, tail.text);
    const gatewayMetricsUrl = gatewayTargetIn(await targetsWritten);
    platformPids = childPidsOf(supervisor.pid!);
    const gatewayPid = platformPids.find((pid) => commandLineOf(pid).includes('gateway/src/index.ts'));
    return { gatewayOrigin, gatewayMetricsUrl, authorization: `Bearer ${token}`, databaseUrl, sql, gatewayPid, logLineCount: () => lines, warnings: () => ({ count: warnings.count, samples: [...warnings.samples] }), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The gateway's `/metrics` URL from a Prometheus file_sd targets file. */
function gatewayTargetIn(file: string): string {
  const groups = JSON.parse(readFileSync(file, 'utf8')) as { targets: string[]; labels: Record<string, string> }[];
  const target = groups.find((group) => group.labels.service === 'gateway')?.targets[0];
  if (!target) throw new Error(`no gateway target in ${file}`);
  return `http://${target}/metrics`;
}

function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}
