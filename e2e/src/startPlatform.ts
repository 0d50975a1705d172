import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { createNovaCronClient, type NovaCronClient } from '@novacron/sdk';
import { start as startGateway, type RunningGateway } from '@novacron/gateway';
import { loadConfig as loadGatewayConfig } from '@novacron/gateway/config';
import { start as startVms, type RunningVmsSubgraph } from '@novacron/vms';
import { loadConfig as loadVmsConfig } from '@novacron/vms/config';
import { createLogger } from '@novacron/server-kit';
import { spawnWorker, type WorkerProcess } from './spawnWorker.ts';

/** Options for {@link startPlatform}. */
export interface PlatformOptions {
  /** Simulated provider latency, e.g. `"20-60"` ms. */
  simLatencyMs?: string;
  /** Worker processes to start at once. */
  workers?: number;
  /** Extra environment for the workers (lease length, retry policy, …). */
  workerEnv?: Record<string, string>;
  /** Production mode for the subgraph and gateway (masked errors). */
  production?: boolean;
  /** With a Redis URL, event signals go through Redis; otherwise through LISTEN/NOTIFY. */
  redisUrl?: string;
  /** Extra environment for the gateway (limits, poll interval, …). */
  gatewayEnv?: Record<string, string>;
}

/** A whole platform on free ports against a fresh database: vms subgraph, gateway, worker processes. */
export interface Platform extends AsyncDisposable {
  database: TestDatabase;
  vms: RunningVmsSubgraph;
  gateway: RunningGateway;
  client: NovaCronClient;
  workers: WorkerProcess[];
  workerEnv: Record<string, string>;
  /** The environment the gateway was started with, to start more gateways alike. */
  gatewayEnv: Record<string, string>;
  /** Starts one more worker process. */
  addWorker(): Promise<WorkerProcess>;
  stop(): Promise<void>;
}

/**
 * Starts the platform the way `npm start` does, with the subgraph and gateway in this process on
 * port 0 and the workers as child processes; `stop` (or `await using`) tears all of it down.
 */
export async function startPlatform(options: PlatformOptions = {}): Promise<Platform> {
  const database = await createTestDatabase();
  const logger = createLogger('e2e', process.env.LOG_LEVEL ?? 'warn');
  const environment: Record<string, string> = {
    DATABASE_URL: database.url,
    SIM_LATENCY_MS: options.simLatencyMs ?? '20-60',
    NODE_ENV: options.production ? 'production' : 'development',
    WORKER_LEASE_SECONDS: '2',
    WORKER_SWEEP_INTERVAL_MS: '300',
    WORKER_POLL_INTERVAL_MS: '200',
    WORKER_RETRY_BASE_DELAY_MS: '20',
    WORKER_RETRY_MAX_DELAY_MS: '200',
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl, REDIS_PREFIX: `e2e-${process.pid}-${Date.now()}` } : {}),
    ...options.workerEnv,
  };
  const vms = await withEnv({ ...environment, VMS_PORT: '0' }, () => startVms(loadVmsConfig(), logger));
  const gatewayEnvironment: Record<string, string> = {
    GATEWAY_PORT: '0',
    VMS_URL: vms.url,
    DATABASE_URL: database.url,
    NODE_ENV: environment.NODE_ENV ?? 'development',
    EVENT_POLL_INTERVAL_MS: '1000',
    ...(environment.REDIS_URL ? { REDIS_URL: environment.REDIS_URL, REDIS_PREFIX: environment.REDIS_PREFIX ?? '' } : {}),
    ...options.gatewayEnv,
  };
  const gateway = await withEnv(gatewayEnvironment, () => startGateway(loadGatewayConfig(), logger));
  const workers: WorkerProcess[] = [];
  const addWorker = async () => {
    const worker = await spawnWorker(environment);
    workers.push(worker);
    return worker;
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(workers.map((worker) => worker.stop()));
    await gateway.stop();
    await vms.stop();
    await database.drop();
  };
  try {
    for (let index = 0; index < (options.workers ?? 1); index += 1) await addWorker();
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    database,
    vms,
    gateway,
    client: createNovaCronClient({ url: gateway.url }),
    workers,
    workerEnv: environment,
    gatewayEnv: gatewayEnvironment,
    addWorker,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** Runs `load` with extra environment variables set, for `loadConfig()` functions that read them. */
async function withEnv<T>(variables: Record<string, string>, load: () => Promise<T>): Promise<T> {
  const previous = Object.fromEntries(Object.keys(variables).map((key) => [key, process.env[key]]));
  Object.assign(process.env, variables);
  try {
    return await load();
  } finally {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}
