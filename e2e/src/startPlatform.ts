import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { configuredKeyEnvironment, ensureDevelopmentKeys, signDevelopmentToken, type DevelopmentKeys, type Role } from '@novacron/auth';
import { createTestDatabase, type TestDatabase } from '@novacron/testing';
import { createNovaCronClient, type NovaCronClient } from '@novacron/sdk';
import { start as startGateway, type RunningGateway } from '@novacron/gateway';
import { loadConfig as loadGatewayConfig } from '@novacron/gateway/config';
import type { RunningVmsSubgraph } from '@novacron/vms';
import { createLogger, type Logger } from '@novacron/server-kit';
import { envPrefix, readSubgraphManifest, type RunningSubgraph, type SubgraphEntry } from '@novacron/subgraph-kit';
import { freePort } from '@novacron/testing';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
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
  /** Extra environment for every subgraph. */
  subgraphEnv?: Record<string, string>;
}

/** Who a test acts as. */
export interface Caller {
  tenant: string;
  role: Role;
  subject?: string;
}

/** A whole platform on free ports against a fresh database: vms subgraph, gateway, worker processes. */
export interface Platform extends AsyncDisposable {
  database: TestDatabase;
  /** Every subgraph of schema/subgraphs.json (or NOVACRON_SUBGRAPHS_FILE), started in this process. */
  subgraphs: Record<string, RunningSubgraph<unknown>>;
  vms: RunningVmsSubgraph;
  gateway: RunningGateway;
  /** An admin of tenant `default`. */
  client: NovaCronClient;
  /** A bearer token of an admin of tenant `default`, for sockets and raw requests. */
  token: string;
  /** The development keys this platform trusts (in a temporary NOVACRON_KEYS_DIR). */
  keys: DevelopmentKeys;
  keysDir: string;
  /** A token for another caller. */
  tokenFor(caller: Caller, ttlSeconds?: number): Promise<string>;
  /** A client acting as another caller. */
  clientFor(caller: Caller): Promise<NovaCronClient>;
  workers: WorkerProcess[];
  workerEnv: Record<string, string>;
  /** The environment the gateway was started with, to start more gateways alike. */
  gatewayEnv: Record<string, string>;
  /** Starts one more worker process. */
  addWorker(): Promise<WorkerProcess>;
  stop(): Promise<void>;
}

/**
 * Starts the platform the way `npm start` does, from schema/subgraphs.json: every subgraph and the
 * gateway in this process on free ports, the subgraphs' extra processes (the vms workers) as child
 * processes; `stop` (or `await using`) tears all of it down.
 */
export async function startPlatform(options: PlatformOptions = {}): Promise<Platform> {
  const database = await createTestDatabase();
  const keysDir = await mkdtemp(join(tmpdir(), 'novacron-keys-'));
  await chmod(keysDir, 0o700);
  const keys = await ensureDevelopmentKeys(keysDir);
  const logger = createLogger('e2e', process.env.LOG_LEVEL ?? 'warn');
  const environment: Record<string, string> = {
    DATABASE_URL: database.url,
    SIM_LATENCY_MS: options.simLatencyMs ?? '20-60',
    NODE_ENV: options.production ? 'production' : 'development',
    // Development mode must be asked for explicitly; production is the default.
    NOVACRON_DEV: options.production ? '0' : '1',
    NOVACRON_KEYS_DIR: keysDir,
    WORKER_LEASE_SECONDS: '2',
    WORKER_SWEEP_INTERVAL_MS: '300',
    WORKER_POLL_INTERVAL_MS: '200',
    WORKER_RETRY_BASE_DELAY_MS: '20',
    WORKER_RETRY_MAX_DELAY_MS: '200',
    // Production refuses development keys: configure the same keys explicitly, as an operator would.
    ...(options.production
      ? {
          ...configuredKeyEnvironment(keys),
          CREDENTIALS_KEYS: `prod-1:${randomBytes(32).toString('base64')}`,
        }
      : {}),
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl, REDIS_PREFIX: `e2e-${process.pid}-${Date.now()}` } : {}),
    ...options.workerEnv,
  };
  const manifest = readSubgraphManifest();
  // Ports first, so every subgraph knows where the others answer (they may call each other).
  const ports = Object.fromEntries(await Promise.all(manifest.subgraphs.map(async (entry) => [entry.name, await freePort()] as const)));
  const urls = Object.fromEntries(manifest.subgraphs.map((entry) => [`${envPrefix(entry.name)}_URL`, `http://127.0.0.1:${ports[entry.name]}/graphql`]));
  Object.assign(environment, urls);
  const subgraphs: Record<string, RunningSubgraph<unknown>> = {};
  const stopSubgraphs = async () => {
    for (const running of Object.values(subgraphs).reverse()) await running.stop();
  };
  try {
    for (const entry of manifest.subgraphs) {
      const subgraphEnvironment = { ...environment, ...options.subgraphEnv, [`${envPrefix(entry.name)}_PORT`]: String(ports[entry.name]) };
      subgraphs[entry.name] = await withEnv(subgraphEnvironment, () => startSubgraphInProcess(entry, logger));
    }
  } catch (error) {
    await stopSubgraphs();
    await database.drop();
    throw error;
  }
  const vms = subgraphs.vms as RunningVmsSubgraph;
  const gatewayEnvironment: Record<string, string> = {
    GATEWAY_PORT: '0',
    ...urls,
    DATABASE_URL: database.url,
    NODE_ENV: environment.NODE_ENV ?? 'development',
    NOVACRON_DEV: environment.NOVACRON_DEV ?? '0',
    NOVACRON_KEYS_DIR: keysDir,
    EVENT_POLL_INTERVAL_MS: '1000',
    // Tests poll fast; the rate limit has its own test with its own budget.
    RATE_LIMIT_POINTS: '1000000',
    // Every test client is on 127.0.0.1: the per-address budget has its own test too.
    RATE_LIMIT_ADDRESS_POINTS: '1000000',
    ...Object.fromEntries(Object.entries(environment).filter(([key]) => key.startsWith('AUTH_') || key.startsWith('INTERNAL_TOKEN_'))),
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
  // Other subgraphs' extra processes (the vms workers are `workers`, counted by options.workers).
  const extraProcesses: WorkerProcess[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all([...workers, ...extraProcesses].map((worker) => worker.stop()));
    await gateway.stop();
    await stopSubgraphs();
    await database.drop();
    await rm(keysDir, { recursive: true, force: true });
  };
  try {
    for (let index = 0; index < (options.workers ?? 1); index += 1) await addWorker();
    for (const entry of manifest.subgraphs) {
      for (const extra of entry.processes ?? []) {
        if (entry.name === 'vms' && extra.name === 'worker') continue;
        extraProcesses.push(await spawnWorker({ ...environment, ...options.subgraphEnv }, extra.entry));
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const tokenFor = (caller: Caller, ttlSeconds = 3_600) => signDevelopmentToken({ keys, tenant: caller.tenant, roles: [caller.role], subject: caller.subject ?? `${caller.role}@${caller.tenant}`, ttlSeconds });
  const token = await tokenFor({ tenant: 'default', role: 'admin' });
  return {
    database,
    subgraphs,
    vms,
    gateway,
    client: createNovaCronClient({ url: gateway.url, headers: { authorization: `Bearer ${token}` } }),
    token,
    keys,
    keysDir,
    tokenFor,
    clientFor: async (caller) => createNovaCronClient({ url: gateway.url, headers: { authorization: `Bearer ${await tokenFor(caller)}` } }),
    workers,
    workerEnv: environment,
    gatewayEnv: gatewayEnvironment,
    addWorker,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/**
 * Starts a subgraph in this process by the skeleton's convention: `src/config.ts` exports
 * `loadConfig()` and `src/server.ts` exports `start(config, logger)`, beside the manifest's entry.
 */
async function startSubgraphInProcess(entry: SubgraphEntry, logger: Logger): Promise<RunningSubgraph<unknown>> {
  const folder = dirname(entry.entry);
  const { loadConfig } = (await import(pathToFileURL(`${folder}/config.ts`).href)) as { loadConfig: () => unknown };
  const { start } = (await import(pathToFileURL(`${folder}/server.ts`).href)) as { start: (config: unknown, logger: Logger) => Promise<RunningSubgraph<unknown>> };
  return start(loadConfig(), logger);
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
