/**
 * Gateway benchmark (issue 14, item 4): a dashboard query over all four subgraphs (a page of VMs
 * with status, cost, latest metrics and placement) from C closed-loop clients for D seconds,
 * against (a) a stock `@apollo/gateway` + `@apollo/server` with default settings and (b) NovaCron's
 * gateway, same machine, same platform, same run; reports RPS, latency and the ratio.
 *
 * Phases: Postgres + `scripts/start.ts` → N VMs created through the gateway (half placed by
 * requirements) → wait until every operation is terminal and every VM has metrics → the stock
 * gateway as its own process → both answer the same data → warm-up of each → stock, then NovaCron.
 * `--help` lists the flags; results and their reading: docs/benchmarks.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createInternalTokenSigner, ensureDevelopmentKeys, internalTokenAudience, signDevelopmentToken } from '@novacron/auth';
import { freePort } from '@novacron/testing';
import { runTimedLoad, type TimedLoadResult } from './src/gatewayLoad.ts';
import { startBenchPlatform, type BenchPlatform } from './src/startBenchPlatform.ts';
import { snapshotProcessCpu } from './src/snapshotProcessCpu.ts';
import { waitForOperationsTerminal } from './src/waitForOperationsTerminal.ts';
import { monotonicMicros, writeProfilePhases, type ProfilePhases } from './src/writeProfilePhases.ts';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '5' },
    connections: { type: 'string', default: '50' },
    vms: { type: 'string', default: '50' },
    json: { type: 'string' },
    'cpu-prof': { type: 'string' },
    verbose: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  process.stdout.write(`node bench/gatewayBench.ts [--duration S=30] [--warmup S=5] [--connections C=50] [--vms N=50] [--json FILE] [--cpu-prof DIR] [--verbose]\n`);
  process.exit(0);
}
const durationMs = Number(flags.duration) * 1000;
const warmupMs = Number(flags.warmup) * 1000;
const connections = Number(flags.connections);
const vmCount = Number(flags.vms);
/** With `--cpu-prof DIR`, every platform process (not the stock gateway) writes V8 CPU profiles there; `summarizeCpuProfiles.ts DIR --phase callers`. */
const cpuProfileDir = flags['cpu-prof'];
/** Each measured phase's window, for the profiles. */
const profilePhases: ProfilePhases['phases'] = {};

const log = (line: string) => process.stdout.write(`[gateway-bench] ${line}\n`);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const repositoryRoot = fileURLToPath(new URL('..', import.meta.url));
const supergraphPath = fileURLToPath(new URL('../schema/supergraph.graphql', import.meta.url));

/** The dashboard's query: one page of VMs with a field from each subgraph. */
const dashboardQuery = `query Dashboard($first: Int!) {
  vms(first: $first) {
    edges { node { id name status provider region
      cost { hourlyRate }
      latestMetrics { kind value t }
      placement { id reason chosen { provider region instanceType } }
    } }
  }
}`;

interface DashboardAnswer {
  data?: { vms: { edges: { node: { id: string; latestMetrics: unknown[]; placement: unknown } }[] } };
  errors?: unknown[];
}

async function graphql(url: string, headers: Record<string, string>, query: string, variables: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors).slice(0, 500)}`);
  return body.data ?? {};
}

/** Creates the VMs the dashboard shows: half with explicit placement, half placed by requirements. */
async function seedVms(platform: BenchPlatform): Promise<void> {
  const mutation = 'mutation ($input: CreateVMInput!) { createVM(input: $input) { id } }';
  const started = performance.now();
  await Promise.all(
    Array.from({ length: vmCount }, (_, index) => {
      const name = `dash-${index}`;
      const input = index % 2 === 0
        ? { name, image: 'ubuntu-24.04', provider: 'aws', region: 'us-east-1', instanceType: 't3.micro' }
        : { name, image: 'ubuntu-24.04', placement: { vcpus: 2, memoryGib: 4 } };
      return graphql(platform.gatewayUrl, platform.requestHeaders, mutation, { input });
    }),
  );
  const drained = await waitForOperationsTerminal(platform.sql, { expected: vmCount, since: started, timeoutMs: 180_000, log });
  if (!drained.drained) throw new Error(`operations still active: ${JSON.stringify(drained.statusCounts)}`);
}

/** Waits (up to a minute) until every VM on the page has metrics, so the query's metrics fetch returns data. */
async function waitForMetrics(platform: BenchPlatform): Promise<void> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    const data = (await graphql(platform.gatewayUrl, platform.requestHeaders, dashboardQuery, { first: vmCount })) as DashboardAnswer['data'];
    const withMetrics = data?.vms.edges.filter((edge) => edge.node.latestMetrics.length > 0).length ?? 0;
    if (withMetrics === vmCount) return;
    if (performance.now() > deadline) {
      log(`only ${withMetrics} of ${vmCount} VMs have metrics after a minute; measuring anyway`);
      return;
    }
    await sleep(1_000);
  }
}

/** Starts the stock gateway process against the platform's subgraphs, with a pre-signed internal token per subgraph. */
async function startStockGateway(platform: BenchPlatform): Promise<{ url: string; process: ChildProcess; stop(): Promise<void> }> {
  const keys = await ensureDevelopmentKeys(platform.keysDir);
  const subgraphs: Record<string, { url: string; internalToken: string }> = {};
  for (const [name, url] of Object.entries(platform.subgraphUrls)) {
    const sign = createInternalTokenSigner({ privateKeyPem: keys.internal.privateKeyPem, keyId: keys.internal.keyId, audience: internalTokenAudience(name), ttlSeconds: 6 * 3600 });
    subgraphs[name] = { url, internalToken: await sign({ subject: 'bench', tenantId: 'bench', roles: ['admin'], expiresAt: new Date(Date.now() + 6 * 3600_000) }) };
  }
  const port = await freePort();
  const child = spawn(process.execPath, ['bench/src/gatewayStockServer.ts'], {
    cwd: repositoryRoot,
    env: { ...process.env, SUPERGRAPH_PATH: supergraphPath, STOCK_GATEWAY_PORT: String(port), STOCK_SUBGRAPHS: JSON.stringify(subgraphs), NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const match = /listening (\S+)/.exec(text);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the stock gateway exited (${code}) before listening`)));
  });
  return {
    url,
    process: child,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * A second NovaCron gateway process with the response cache on, against the same platform (the
 * platform's own gateway keeps it off, so both are measured in one run).
 */
async function startCachedGateway(platform: BenchPlatform): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['gateway/src/index.ts'], {
    cwd: repositoryRoot,
    env: {
      ...process.env,
      GATEWAY_PORT: String(port),
      GATEWAY_METRICS_PORT: '0',
      DATABASE_URL: platform.databaseUrl,
      NOVACRON_KEYS_DIR: platform.keysDir,
      // The platform's development keys, as `npm start` runs it (without this the gateway runs hardened).
      NOVACRON_DEV: '1',
      RATE_LIMIT_POINTS: '1000000000',
      RATE_LIMIT_ADDRESS_POINTS: '1000000000',
      LOG_LEVEL: 'warn',
      RESPONSE_CACHE: '1',
      ...Object.fromEntries(Object.entries(platform.subgraphUrls).map(([name, url]) => [`${name.toUpperCase()}_URL`, url])),
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const origin = `http://127.0.0.1:${port}`;
  const deadline = performance.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the cached gateway exited (${child.exitCode})`);
    const ok = await fetch(`${origin}/ready`).then((response) => response.ok, () => false);
    if (ok) break;
    if (performance.now() > deadline) throw new Error('the cached gateway was not ready within a minute');
    await sleep(250);
  }
  return {
    url: `${origin}/graphql`,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The data both gateways answer must be the same, or the comparison is meaningless. */
function sameData(a: string, b: string): boolean {
  const parse = (text: string) => JSON.stringify((JSON.parse(text) as DashboardAnswer).data);
  return parse(a) === parse(b);
}

/** Sequential latency of the dashboard's parts on an idle gateway: where one request's time goes. */
async function logQueryParts(url: string): Promise<void> {
  const parts: Record<string, string> = {
    'vms only': 'id name status provider region',
    '+ cost (billing)': 'id cost { hourlyRate }',
    '+ latestMetrics (metrics)': 'id latestMetrics { kind value t }',
    '+ placement (placement)': 'id placement { id reason chosen { provider region instanceType } }',
  };
  for (const [name, fields] of Object.entries(parts)) {
    const body = JSON.stringify({ query: `query ($first: Int!) { vms(first: $first) { edges { node { ${fields} } } } }`, variables: { first: vmCount } });
    const latencies: number[] = [];
    for (let round = 0; round < 5; round += 1) {
      const started = performance.now();
      await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).text();
      latencies.push(performance.now() - started);
    }
    log(`idle, one at a time, ${name}: ${latencies.map((value) => value.toFixed(0)).join(', ')} ms`);
  }
}

interface Phase {
  name: string;
  result: TimedLoadResult;
  loadAverage: number[];
}

async function measure(name: string, url: string, headers: (index: number) => Record<string, string>, profilePhase: string): Promise<Phase> {
  const body = JSON.stringify({ query: dashboardQuery, variables: { first: vmCount } });
  const accept = (text: string) => !text.includes('"errors"') && text.startsWith('{"data":{"vms"');
  log(`${name}: warm-up ${warmupMs / 1000} s`);
  await runTimedLoad({ url, connections, durationMs: warmupMs, headers, body, accept });
  log(`${name}: ${connections} clients for ${durationMs / 1000} s`);
  const fromUs = monotonicMicros();
  const result = await runTimedLoad({ url, connections, durationMs, headers, body, accept });
  profilePhases[profilePhase] = { fromUs, toUs: monotonicMicros() };
  const phase = { name, result, loadAverage: loadavg() };
  log(`${name}: ${result.rps.toFixed(0)} req/s, p50 ${result.latency.p50.toFixed(1)} ms, p95 ${result.latency.p95.toFixed(1)} ms, p99 ${result.latency.p99.toFixed(1)} ms, ${result.errors} errors ${result.errorSamples.join(' | ')}`);
  return phase;
}

// The stock gateway has no breakers; ours would count calls slower than 5 s as failures, which on a
// saturated shared machine measures the breaker rather than the pipeline.
process.env.SUBGRAPH_BREAKER_SLOW_MS ??= '60000';
// Samples every 5 s instead of every minute: every VM has metrics before measuring, and sample events
// keep arriving during the run (each one invalidates the tenant's cached responses, as in production).
process.env.METRICS_COLLECT_INTERVAL_MS ??= '5000';
process.env.SIM_METRICS_INTERVAL_MS ??= '5000';
const platform = await startBenchPlatform({ workerProcesses: 1, workerConcurrency: 50, simLatencyMs: '5-20', cpuProfileDir, statementStats: false, verbose: flags.verbose, log });
let stock: Awaited<ReturnType<typeof startStockGateway>> | undefined;
let cached: Awaited<ReturnType<typeof startCachedGateway>> | undefined;
let exitCode = 0;
try {
  log(`creating ${vmCount} VMs`);
  await seedVms(platform);
  await waitForMetrics(platform);
  stock = await startStockGateway(platform);
  cached = await startCachedGateway(platform);
  const body = JSON.stringify({ query: dashboardQuery, variables: { first: vmCount } });
  const answer = async (url: string, headers: Record<string, string>) => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body })).text();
  const [stockAnswer, novaAnswer] = [await answer(stock.url, {}), await answer(platform.gatewayUrl, platform.requestHeaders)];
  if (!sameData(stockAnswer, novaAnswer)) throw new Error(`the gateways answer different data:\nstock: ${stockAnswer.slice(0, 400)}\nnovacron: ${novaAnswer.slice(0, 400)}`);
  log(`both gateways answer the same ${novaAnswer.length} bytes of data`);
  await logQueryParts(stock.url);

  // One caller per client: concurrent identical queries are no longer one caller's, so none share a fetch.
  const keys = await ensureDevelopmentKeys(platform.keysDir);
  const callerTokens = await Promise.all(Array.from({ length: connections }, (_, index) => signDevelopmentToken({ keys, tenant: 'bench', roles: ['admin'], subject: `bench-${index}`, ttlSeconds: 6 * 3600 })));
  const baseline = await measure('stock @apollo/gateway', stock.url, () => ({}), 'stock');
  const novacron = await measure('NovaCron gateway (one caller)', platform.gatewayUrl, () => platform.requestHeaders, 'one-caller');
  const distinct = await measure(`NovaCron gateway (${connections} callers)`, platform.gatewayUrl, (index) => ({ authorization: `Bearer ${callerTokens[index]}` }), 'callers');
  const withCache = await measure('NovaCron gateway, response cache on (one caller)', cached.url, () => platform.requestHeaders, 'cached');
  if (cpuProfileDir) await writeProfilePhases(cpuProfileDir, snapshotProcessCpu(), profilePhases);
  const ratio = novacron.result.rps / baseline.result.rps;
  const results = {
    measuredAt: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    settings: { durationSeconds: durationMs / 1000, warmupSeconds: warmupMs / 1000, connections, vms: vmCount, responseBytes: novaAnswer.length },
    rps: withCache.result.rps,
    baselineRps: baseline.result.rps,
    ratio: withCache.result.rps / baseline.result.rps,
    ratioWithoutCache: ratio,
    p95Ms: withCache.result.latency.p95,
    rpsWithoutCache: novacron.result.rps,
    p95MsWithoutCache: novacron.result.latency.p95,
    distinctCallersRps: distinct.result.rps,
    ratioDistinctCallers: distinct.result.rps / baseline.result.rps,
    phases: [baseline, novacron, distinct, withCache],
  };
  const rows = [baseline, novacron, distinct, withCache].map((phase) => `| ${phase.name} | ${phase.result.requests.toLocaleString('en')} | ${phase.result.rps.toFixed(0)} | ${phase.result.latency.p50.toFixed(1)} | ${phase.result.latency.p95.toFixed(1)} | ${phase.result.latency.p99.toFixed(1)} | ${phase.result.errors} | ${phase.loadAverage.map((value) => value.toFixed(1)).join(' / ')} |`);
  process.stdout.write(`\n| Gateway | requests | req/s | p50 ms | p95 ms | p99 ms | errors | load avg after (1/5/15 min) |\n|---|---:|---:|---:|---:|---:|---:|---|\n${rows.join('\n')}\n\nNovaCron / stock: ${results.ratio.toFixed(2)} × with the cache, ${ratio.toFixed(2)} × without (one caller), ${results.ratioDistinctCallers.toFixed(2)} × (${connections} callers, no cache)\n`);
  if (flags.json) await writeFile(flags.json, `${JSON.stringify(results, null, 2)}\n`);
  // The stock gateway's own errors (its fetcher's keep-alive resets) are reported, not ours to fail on.
  if (novacron.result.errors > 0 || distinct.result.errors > 0 || withCache.result.errors > 0) exitCode = 2;
} catch (error) {
  log(`failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  exitCode = 1;
} finally {
  await stock?.stop();
  await cached?.stop();
  await platform.stop();
}
process.exit(exitCode);
