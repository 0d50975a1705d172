/**
 * `npm start`: the whole platform on one machine. Starts PostgreSQL (embedded, data in .novacron/,
 * unless DATABASE_URL is set), every subgraph of schema/subgraphs.json (each migrates its own schema)
 * with its extra processes (the vms operation workers), and the gateway, as child processes; prints
 * the endpoint; stops everything cleanly on Ctrl-C. A child that dies takes the platform down with a
 * non-zero exit, rather than leaving half of it running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCloudEmulators, type RunningCloudEmulators } from '@novacron/cloud-emulators';
import { createIdleCgroup, ensureDatabase, startEmbeddedPostgres, type IdleCgroup, type RunningPostgres } from '@novacron/db';
import { envPrefix, readSubgraphManifest, subgraphUrls } from '@novacron/subgraph-kit/manifest';

const root = fileURLToPath(new URL('..', import.meta.url));
const env = process.env;
const gatewayPort = Number(env.GATEWAY_PORT ?? 4000);
const manifest = readSubgraphManifest();
// Prometheus endpoints: each process takes the next port from METRICS_BASE_PORT (subgraphs, their extra processes, the gateway).
const metricsBasePort = Number(env.METRICS_BASE_PORT ?? 9464);
const metricsTargets: { service: string; port: number }[] = [];
// Children write to a pipe: tell them whether a person is reading (pretty logs) unless LOG_FORMAT says.
const logFormat = env.LOG_FORMAT ?? (process.stdout.isTTY && env.NODE_ENV !== 'production' ? 'pretty' : 'json');
const children: { name: string; process: ChildProcess }[] = [];
let postgres: RunningPostgres | undefined;
let clouds: RunningCloudEmulators | undefined;
let backgroundCgroup: IdleCgroup | undefined;
let stopping = false;

function log(message: string): void {
  process.stdout.write(`[novacron] ${message}\n`);
}

function startChild(name: string, entry: string, extraEnv: Record<string, string>): ChildProcess {
  unlessStopping();
  const child = spawn(process.execPath, [entry], { cwd: root, env: { ...env, LOG_FORMAT: logFormat, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = `[${name}] `;
  for (const stream of [child.stdout, child.stderr]) {
    let carry = '';
    stream?.on('data', (chunk: Buffer) => {
      const lines = (carry + chunk.toString('utf8')).split('\n');
      carry = lines.pop() ?? '';
      for (const line of lines) process.stdout.write(prefix + line + '\n');
    });
  }
  child.once('exit', (code, signal) => {
    if (stopping) return;
    log(`${name} exited unexpectedly (${signal ?? `code ${code}`}); stopping the platform`);
    void shutdown(1);
  });
  children.push({ name, process: child });
  return child;
}

/** Thrown into the start sequence once the platform is stopping (Ctrl-C, or a child that died). */
class Stopping extends Error {}

/** Ends the start sequence when the platform is stopping: nothing more is started, and nothing is called ready. */
function unlessStopping(): void {
  if (stopping) throw new Stopping('the platform is stopping');
}

async function waitUntilReady(name: string, url: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    unlessStopping();
    const ok = await fetch(url, { signal: AbortSignal.timeout(1_000) }).then((response) => response.ok, () => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${name} did not become ready at ${url}`);
}

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  log('stopping…');
  for (const { name, process: child } of [...children].reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    log(`${name} stopped`);
  }
  if (clouds) {
    await clouds.close().catch(() => {});
    log('cloud emulators stopped');
  }
  if (postgres) {
    await postgres.stop().catch(() => {});
    log('postgres stopped');
  }
  if (backgroundCgroup && !(await backgroundCgroup.remove())) log(`could not remove ${backgroundCgroup.path}: processes are still in it (the next npm start removes it once they have ended)`);
  process.exit(code);
}

/** `BACKGROUND_PROCESSES`: 1 runs the subgraphs' background work in processes of their own; 0 or unset, inside their request processes. */
function backgroundProcesses(): boolean {
  const value = env.BACKGROUND_PROCESSES?.trim() ?? '';
  if (value !== '' && value !== '0' && value !== '1') throw new Error(`BACKGROUND_PROCESSES must be 0 or 1, got "${value}"`);
  return value === '1';
}

/** Assigns a process the next metrics port and records it as a Prometheus target. */
function metricsPort(service: string): number {
  const port = metricsBasePort + metricsTargets.length;
  metricsTargets.push({ service, port });
  return port;
}

/** Writes `.novacron/prometheus-targets.json` in Prometheus's file-based service-discovery format. */
function writePrometheusTargets(): string {
  const file = env.PROMETHEUS_TARGETS_FILE ?? join(root, '.novacron', 'prometheus-targets.json');
  mkdirSync(dirname(file), { recursive: true });
  const groups = metricsTargets.map(({ service, port }) => ({ targets: [`127.0.0.1:${port}`], labels: { job: 'novacron', service } }));
  writeFileSync(file, `${JSON.stringify(groups, null, 2)}\n`);
  return file;
}

/** Builds the web dashboard (web/dist, served by the gateway at /) the first time, so no one has to remember to. */
async function ensureWebBuilt(): Promise<void> {
  if (env.WEB_ROOT || existsSync(join(root, 'web', 'dist', 'index.html'))) return;
  log('building the web dashboard (first start; `npm run build -w @novacron/web` rebuilds it)');
  const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  const build = spawn(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: join(root, 'web'), env, stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise<number | null>((resolve) => build.once('exit', resolve));
  if (code !== 0) throw new Error(`building the web dashboard failed (exit ${code})`);
}

process.once('SIGINT', () => void shutdown(0));
process.once('SIGTERM', () => void shutdown(0));

try {
  let databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    const port = Number(env.NOVACRON_PG_PORT ?? 54329);
    log(`starting embedded PostgreSQL on port ${port} (data in .novacron/postgres)`);
    postgres = await startEmbeddedPostgres({ dataDir: `${root}/.novacron/postgres`, port, persistent: true, onNote: log });
    databaseUrl = await ensureDatabase(postgres.url, 'novacron');
  } else {
    log('using DATABASE_URL');
  }
  // Every subgraph learns where the others answer (they may call each other), and so does the gateway.
  const urls = subgraphUrls(manifest);
  // The embedded default is development mode (generated keys); without NOVACRON_DEV=1 services run hardened.
  // BACKGROUND_PROCESSES=1: a subgraph's background work (followers, periodic tasks) runs in a process of
  // its own, which gives way to requests as a whole (docs/architecture.md, "Background processes").
  // Read before anything is made, so a wrong value changes nothing.
  const separateBackground = backgroundProcesses();
  const shared: Record<string, string> = { DATABASE_URL: databaseUrl, NOVACRON_DEV: env.NOVACRON_DEV ?? '1', ...Object.fromEntries(Object.entries(urls).map(([name, url]) => [`${envPrefix(name)}_URL`, url])) };
  if (env.BACKGROUND_CGROUP?.trim() === 'auto') {
    // Execution and background work in one CPU cgroup that runs only on time requests leave
    // (docs/architecture.md, "One idle CPU cgroup for all background work"); removed again on shutdown.
    const made = await createIdleCgroup('novacron-background');
    if (typeof made === 'string') {
      shared.BACKGROUND_CGROUP = '';
      log(`BACKGROUND_CGROUP=auto: ${made}; background work runs at the lower nice values alone`);
    } else {
      backgroundCgroup = made;
      shared.BACKGROUND_CGROUP = made.path;
      log(`background CPU cgroup: ${made.path} (${made.mode === 'idle' ? 'cpu.idle' : 'lowest cpu weight'})`);
    }
  }
  if (env.NOVACRON_CLOUDS === 'emulated') {
    // The real AWS, Azure and GCP drivers against loopback emulators of their APIs (docs/clouds.md).
    clouds = await startCloudEmulators();
    shared.NOVACRON_CLOUD_EMULATORS = JSON.stringify(clouds.descriptor);
    log(`cloud emulators: EC2 ${clouds.ec2.url}, Azure ${clouds.azure.url} (TLS), Compute Engine ${clouds.gce.url}`);
  }
  const role = (subgraph: (typeof manifest.subgraphs)[number]): Record<string, string> => (separateBackground && subgraph.background ? { SUBGRAPH_ROLE: 'requests' } : {});
  for (const subgraph of manifest.subgraphs) {
    startChild(subgraph.name, subgraph.entry, { ...shared, ...role(subgraph), [`${envPrefix(subgraph.name)}_METRICS_PORT`]: String(metricsPort(subgraph.name)) });
    const url = new URL(urls[subgraph.name] as string);
    await waitUntilReady(`${subgraph.name} subgraph`, `${url.protocol}//${url.host}/ready`);
  }
  for (const subgraph of manifest.subgraphs) {
    if (!separateBackground || !subgraph.background) continue;
    const prefix = envPrefix(subgraph.name);
    startChild(`${subgraph.name}-background`, subgraph.entry, { ...shared, SUBGRAPH_ROLE: 'background', [`${prefix}_PORT`]: '0', [`${prefix}_METRICS_PORT`]: String(metricsPort(`${subgraph.name}-background`)) });
  }
  for (const subgraph of manifest.subgraphs) {
    for (const extra of subgraph.processes ?? []) {
      const replicas = Number(extra.replicasEnv ? (env[extra.replicasEnv] ?? 1) : 1);
      for (let index = 1; index <= replicas; index += 1) {
        startChild(`${extra.name}-${index}`, extra.entry, { ...shared, [`${envPrefix(extra.name)}_METRICS_PORT`]: String(metricsPort(`${subgraph.name}-${extra.name}-${index}`)) });
      }
    }
  }
  await ensureWebBuilt();
  startChild('gateway', 'gateway/src/index.ts', { ...shared, GATEWAY_PORT: String(gatewayPort), GATEWAY_METRICS_PORT: String(metricsPort('gateway')) });
  await waitUntilReady('gateway', `http://127.0.0.1:${gatewayPort}/ready`);
  // A child that died between the last poll and now has started the shutdown: do not call it ready.
  unlessStopping();
  log(`Prometheus targets (file_sd) of every process: ${writePrometheusTargets()} (see docs/operations.md)`);
  log('development identity: get a token with `npm run token -- --tenant default --role admin` and send it as `Authorization: Bearer <token>`');
  log(`web dashboard: http://localhost:${gatewayPort}/ (development: sign in with a development token)`);
  log(`ready: GraphQL endpoint http://localhost:${gatewayPort}/graphql (queries and mutations over HTTP, subscriptions over graphql-ws at ws://localhost:${gatewayPort}/graphql; providers are simulated unless cloud credentials are configured). Ctrl-C stops everything.`);
} catch (error) {
  // Stopping: the shutdown under way has said why (Ctrl-C, or which process exited) and sets the exit code.
  if (!(error instanceof Stopping)) {
    log(`failed to start: ${error instanceof Error ? error.message : String(error)}`);
    await shutdown(1);
  }
}
