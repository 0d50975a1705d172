/**
 * Metrics benchmark: ingest rate through the bulk path (the collector's multi-row insert) and the
 * OTLP/HTTP path (JSON, then protobuf) with the rollup job running, then query latency on 200 VMs × 7 days × 1-minute ×
 * 2 kinds: `VM.metrics` 7 days at 5-minute step and `fleetMetrics` 24 h by region, each next to a
 * same-run `{ __typename }` baseline. The metrics subgraph runs as its own process (as in
 * production) on a throw-away embedded PostgreSQL; requests carry the internal token the gateway
 * would sign. A script, not a test: it prints figures and exits non-zero only when a check fails.
 *
 *   node bench/metricsBench.ts [--vms 200] [--days 7] [--otlp-samples 400000] [--queries 300] [--writers 2] [--bulk-live-events] [--cpu-prof DIR]
 *
 * With `--cpu-prof DIR` the subgraph runs under `node --cpu-prof` and the phases (bulk, rollups,
 * otlp, vmMetrics, fleet) are written to DIR/bench-phases.json:
 * `node bench/summarizeCpuProfiles.ts DIR --phase otlp`.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { drizzle } from 'drizzle-orm/postgres-js';
import { createInternalTokenSigner, ensureDevelopmentKeys, internalTokenAudience, internalTokenHeader } from '@novacron/auth';
import { applyVmEvents, encodeOtlpProtobuf, writeSamples, type Sample, type VmEvent } from '@novacron/metrics/storage';
import { generateSimulatedSamples } from '@novacron/providers';
import { freePort } from '@novacron/testing';
import { runLoad } from './src/runLoad.ts';
import { monotonicMicros, type ProfilePhases } from './src/writeProfilePhases.ts';
import { cpuBetween, snapshotProcessCpu, type CpuInterval } from './src/snapshotProcessCpu.ts';
import { startBenchDatabase } from './src/startBenchDatabase.ts';
import { summarizeLatencies, type LatencySummary } from './src/summarizeLatencies.ts';

const { values: flags } = parseArgs({
  options: {
    vms: { type: 'string', default: '200' },
    days: { type: 'string', default: '7' },
    'otlp-samples': { type: 'string', default: '400000' },
    queries: { type: 'string', default: '300' },
    writers: { type: 'string', default: '2' },
    'cpu-prof': { type: 'string' },
    'bulk-live-events': { type: 'boolean', default: false },
  },
});
const profileDir = flags['cpu-prof'];
const phases: ProfilePhases['phases'] = {};
/** Starts a named phase of the CPU profile; call the result when it ends. */
function phase(name: string): () => void {
  const fromUs = monotonicMicros();
  return () => void (phases[name] = { fromUs, toUs: monotonicMicros() });
}
const vmCount = Number(flags.vms);
const days = Number(flags.days);
const otlpTarget = Number(flags['otlp-samples']);
/** Bulk writes with the collector's live `sample` stream rows (off: the bulk path alone, as a backfill). */
const bulkLiveEvents = flags['bulk-live-events'];
const queryCount = Number(flags.queries);
const writers = Number(flags.writers);
const regions = ['us-east-1', 'eu-west-1', 'ap-southeast-1', 'us-west-2'];
const root = fileURLToPath(new URL('..', import.meta.url));

const cleanups: (() => Promise<void>)[] = [];
async function cleanUp(): Promise<void> {
  for (const step of cleanups.reverse()) await step().catch((error: unknown) => console.error('clean-up step failed:', error));
}

function log(message: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);
}

try {
  const db = await startBenchDatabase({ folderPrefix: 'novacron-metrics-bench-', database: 'bench', applicationName: 'novacron-bench', cleanups });
  const keysDir = `${db.folder}/keys`;
  const keys = await ensureDevelopmentKeys(keysDir);
  const sign = createInternalTokenSigner({ privateKeyPem: keys.internal.privateKeyPem, keyId: keys.internal.keyId, audience: internalTokenAudience('metrics') });
  // Internal tokens live a minute (as the gateway's do): sign a fresh one for each phase.
  const freshToken = () => sign({ subject: 'bench@bench', tenantId: 'bench', roles: ['operator'], expiresAt: new Date(Date.now() + 60_000) });
  const port = await freePort();
  if (profileDir) await mkdir(profileDir, { recursive: true });
  const child = spawn(process.execPath, [...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), `${root}subgraphs/metrics/src/index.ts`], {
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'NOVACRON_DEV')),
      DATABASE_URL: db.databaseUrl,
      METRICS_PORT: String(port),
      METRICS_METRICS_PORT: '0',
      NOVACRON_KEYS_DIR: keysDir,
      // Production mode, as deployed: the internal-token keys are configured, not generated.
      INTERNAL_TOKEN_PUBLIC_KEY: keys.internal.publicKeyPem,
      INTERNAL_TOKEN_PRIVATE_KEY: keys.internal.privateKeyPem,
      INTERNAL_TOKEN_KEY_ID: keys.internal.keyId,
      LOG_LEVEL: 'error',
      // As production runs it (docs/security.md): graphql-js's development-mode `instanceOf` (every
      // failed type test looks up Symbol.toStringTag) was the graphql package's hottest function on
      // VM.metrics in the profile. (NOVACRON_DEV is dropped: with NODE_ENV=production it refuses to start.)
      NODE_ENV: 'production',
      // No vms subgraph here: the fleet is written straight into the projection below.
      VMS_URL: 'http://127.0.0.1:9/graphql',
      // No simulated VMs here: the collector only lists an empty fleet. Rollups run every second.
      METRICS_COLLECT_INTERVAL_MS: '3600000',
      METRICS_ROLLUP_INTERVAL_MS: '1000',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = once(child, 'exit');
  cleanups.push(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForReady(`${url}/ready`);
  log(`metrics subgraph ready on ${url}; ${cpus().length} cores`);

  // The fleet: 200 VMs, running for the whole range, spread over four regions.
  const now = Date.now();
  const start = new Date(Math.floor((now - days * 86_400_000) / 60_000) * 60_000 + 60_000);
  const vmIds = Array.from({ length: vmCount }, (_, index) => `00000000-0000-4000-8000-${String(index + 1).padStart(12, '0')}`);
  const events: VmEvent[] = vmIds.flatMap((id, index) => {
    const payload = { id, tenantId: 'bench', name: `bench-${index}`, provider: 'aws', region: regions[index % regions.length]!, instanceType: 't3.micro', image: 'debian-12', status: 'RUNNING', providerId: `i-bench${index}`, privateIp: null, publicIp: null, labels: { workload: ['web', 'batch', 'database', 'idle'][index % 4]! }, version: 1, createdAt: start.toISOString(), updatedAt: start.toISOString() };
    return [{ cursor: String(index), tenantId: 'bench', entityId: id, type: 'CREATED' as const, version: 1, occurredAt: start.toISOString(), payload }];
  });
  await drizzle(db.sql).transaction((tx) => applyVmEvents(tx, events));

  // 1. Bulk ingest: the whole data set in batches of 10,000, with the rollup job running.
  const total = vmCount * days * 1440 * 2;
  log(`bulk ingest of ${total.toLocaleString()} samples (${vmCount} VMs × ${days} d × 1 min × CPU, memory), ${writers} writers`);
  const batches = generateBatches(vmIds, start, new Date(now), 10_000);
  const bulkCpuBefore = snapshotProcessCpu();
  const bulkStarted = performance.now();
  const endBulk = phase('bulk');
  let written = 0;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      for (let next = batches.next(); !next.done; next = batches.next()) {
        // `--bulk-live-events`: with the live `sample` events, as the collector writes them (one stream row per VM and batch).
        const count = await writeSamples(db.sql, next.value, bulkLiveEvents ? () => 'bench' : undefined);
        written += count;
      }
    }),
  );
  endBulk();
  const bulkSeconds = (performance.now() - bulkStarted) / 1000;
  log(`bulk: ${written.toLocaleString()} samples in ${bulkSeconds.toFixed(1)} s = ${Math.round(written / bulkSeconds).toLocaleString()} samples/s`);
  const drainStarted = performance.now();
  const endDrain = phase('rollups');
  await waitForRollups(db.sql);
  endDrain();
  const drainSeconds = (performance.now() - drainStarted) / 1000;
  const bulkCpu = cpuBetween(bulkCpuBefore, snapshotProcessCpu());
  log(`bulk CPU: ${describeCpu(bulkCpu, written)}`);
  log(`rollups caught up ${drainSeconds.toFixed(1)} s after the last write: ${Math.round(written / (bulkSeconds + drainSeconds)).toLocaleString()} samples/s including rollups`);

  // 2. OTLP ingest: exports of 50 VMs × 2 directions × 20 points (delta sums of system.network.io).
  const resourcesPerExport = Math.min(50, vmCount);
  const perExport = resourcesPerExport * 2 * 20;
  // A day into the range (half of it for shorter runs, so `--days 1` does not push into the future).
  const otlpFromMs = start.getTime() + Math.min(86_400_000, (days * 86_400_000) / 2);
  const exports = Math.ceil(otlpTarget / perExport);
  log(`OTLP ingest: ${exports} exports of ${perExport} data points (${resourcesPerExport} VMs × 2 directions × 20 s), 8 clients`);
  const otlpCpuBefore = snapshotProcessCpu();
  const endOtlp = phase('otlp');
  const otlp = await runLoad({
    url: `${url}/v1/metrics`,
    count: exports,
    concurrency: 8,
    requestTimeoutMs: 60_000,
    headers: { [internalTokenHeader]: await freshToken() },
    body: (index) => otlpExport(vmIds, resourcesPerExport, index, otlpFromMs),
    accept: (payload) => (payload && typeof payload === 'object' && !('errors' in payload) && !('partialSuccess' in payload) ? true : new Error(JSON.stringify(payload).slice(0, 200))),
  });
  endOtlp();
  const otlpSeconds = otlp.wallMs / 1000;
  const otlpSamples = (exports - otlp.failedIndexes.length) * perExport;
  log(`OTLP: ${otlpSamples.toLocaleString()} samples in ${otlpSeconds.toFixed(1)} s = ${Math.round(otlpSamples / otlpSeconds).toLocaleString()} samples/s, ${otlp.failedIndexes.length} failed ${JSON.stringify([...otlp.errorSamples])}`);
  const otlpDrainStarted = performance.now();
  await waitForRollups(db.sql);
  const otlpDrainSeconds = (performance.now() - otlpDrainStarted) / 1000;
  const otlpCpu = cpuBetween(otlpCpuBefore, snapshotProcessCpu());
  log(`OTLP CPU: ${describeCpu(otlpCpu, otlpSamples)}`);

  // 2b. The same exports (later seconds) in protobuf, the OpenTelemetry Collector's default encoding.
  const protobufBodies = Array.from({ length: exports }, (_, index) => encodeOtlpProtobuf(JSON.parse(otlpExport(vmIds, resourcesPerExport, exports + index, otlpFromMs))));
  log(`OTLP protobuf ingest: ${exports} exports of ${perExport} data points, 8 clients`);
  const protobufCpuBefore = snapshotProcessCpu();
  const endProtobuf = phase('otlpProtobuf');
  const protobuf = await postProtobufExports(`${url}/v1/metrics`, await freshToken(), protobufBodies, 8);
  endProtobuf();
  const protobufSeconds = protobuf.wallMs / 1000;
  const protobufSamples = protobuf.accepted * perExport;
  log(`OTLP protobuf: ${protobufSamples.toLocaleString()} samples in ${protobufSeconds.toFixed(1)} s = ${Math.round(protobufSamples / protobufSeconds).toLocaleString()} samples/s, ${protobuf.failures.length} failed ${JSON.stringify(protobuf.failures.slice(0, 3))}`);
  await waitForRollups(db.sql);
  const protobufCpu = cpuBetween(protobufCpuBefore, snapshotProcessCpu());
  log(`OTLP protobuf CPU: ${describeCpu(protobufCpu, protobufSamples)}`);
  const [stored] = await db.sql<{ n: number }[]>`select count(*)::int as n from metrics.samples where kind in ('NETWORK_IN_BYTES', 'NETWORK_OUT_BYTES')`;
  if (stored!.n !== otlpSamples + protobufSamples) throw new Error(`OTLP stored ${stored!.n} samples, expected ${otlpSamples + protobufSamples}`);
  await db.sql`vacuum analyze metrics.samples`;
  await db.sql`vacuum analyze metrics.rollups_5m`;

  // 3. Query latency, each next to the same-run baseline.
  const graphql = `${url}/graphql`;
  const to = new Date(Math.floor(now / 300_000) * 300_000);
  const typename = JSON.stringify({ query: '{ __typename }' });
  const vmMetrics = (index: number) =>
    JSON.stringify({
      query: 'query ($r: [_Any!]!, $from: DateTime!, $to: DateTime!) { _entities(representations: $r) { ... on VM { metrics(kind: CPU_PERCENT, from: $from, to: $to, step: 300) { points { t value } } } } }',
      variables: { r: [{ __typename: 'VM', id: vmIds[index % vmIds.length] }], from: new Date(to.getTime() - 7 * 86_400_000).toISOString(), to: to.toISOString() },
    });
  const fleet = JSON.stringify({
    query: 'query ($from: DateTime!, $to: DateTime!) { fleetMetrics(kind: CPU_PERCENT, from: $from, to: $to, step: 300, groupBy: REGION) { key vmCount series { points { t value } } } }',
    variables: { from: new Date(to.getTime() - 86_400_000).toISOString(), to: to.toISOString() },
  });
  const measure = async (label: string, body: (index: number) => string, check: (payload: unknown) => true | Error, phaseName?: string): Promise<LatencySummary & { cpuMsPerRequest: number }> => {
    const run = async (count: number, offset: number) =>
      runLoad({ url: graphql, count, concurrency: 1, requestTimeoutMs: 30_000, headers: { [internalTokenHeader]: await freshToken() }, body: (index) => body(offset + index), accept: check });
    await run(20, 0);
    // Chunks of 50, each with a fresh internal token (they live a minute, a slow phase outlives one).
    const latencies: number[] = [];
    const endPhase = phaseName ? phase(phaseName) : () => {};
    const before = snapshotProcessCpu();
    for (let done = 0; done < queryCount; done += 50) {
      const result = await run(Math.min(50, queryCount - done), done);
      if (result.failedIndexes.length > 0) throw new Error(`${label}: ${result.failedIndexes.length} failed: ${JSON.stringify([...result.errorSamples])}`);
      latencies.push(...result.latenciesMs);
    }
    const cpu = cpuBetween(before, snapshotProcessCpu());
    endPhase();
    // Requests go one at a time, so the platform's CPU per request is what latency would be on an
    // idle machine (plus waits), whatever else the shared machine runs.
    const platformSeconds = cpu.roles.filter((role) => !role.role.startsWith('bench')).reduce((sum, role) => sum + role.cpuSeconds, 0);
    const summary = { ...summarizeLatencies(latencies), cpuMsPerRequest: (platformSeconds * 1000) / latencies.length };
    log(
      `${label}: p50 ${summary.p50.toFixed(2)} ms, p95 ${summary.p95.toFixed(2)} ms, p99 ${summary.p99.toFixed(2)} ms (${summary.count} requests, one at a time); ` +
        `platform CPU ${summary.cpuMsPerRequest.toFixed(2)} ms per request; machine busy ${Math.round(cpu.machinePercentOfCore)} % of a core, ${Math.round(cpu.otherPercentOfCore)} % by other work`,
    );
    return summary;
  };
  const noErrors = (payload: unknown): true | Error => (payload && typeof payload === 'object' && 'errors' in payload ? new Error(JSON.stringify(payload).slice(0, 300)) : true);
  const vmPoints = (payload: unknown): true | Error => {
    const error = noErrors(payload);
    if (error !== true) return error;
    const points = (payload as { data: { _entities: { metrics: { points: { value: number | null }[] } }[] } }).data._entities[0]!.metrics.points;
    return points.length === 2016 && points.filter((point) => point.value !== null).length >= Math.min(2016, days * 288) - 2 ? true : new Error(`unexpected series: ${points.length} points`);
  };
  const fleetGroups = (payload: unknown): true | Error => {
    const error = noErrors(payload);
    if (error !== true) return error;
    const groups = (payload as { data: { fleetMetrics: { vmCount: number; series: { points: unknown[] } }[] } }).data.fleetMetrics;
    return groups.length === regions.length && groups.reduce((sum, group) => sum + group.vmCount, 0) === vmCount && groups.every((group) => group.series.points.length === 288) ? true : new Error('unexpected fleet groups');
  };
  const baselineBefore = await measure('{ __typename } (baseline)', () => typename, noErrors);
  const vmSeries = await measure('VM.metrics 7 d, 5-min step (2016 points)', vmMetrics, vmPoints, 'vmMetrics');
  const fleetSeries = await measure(`fleetMetrics ${vmCount} VMs, 24 h by region, 5-min step`, () => fleet, fleetGroups, 'fleet');
  const baselineAfter = await measure('{ __typename } (baseline, again)', () => typename, noErrors);

  const row = (label: string, summary: LatencySummary & { cpuMsPerRequest: number }, target: string) =>
    `| ${label} | ${summary.p50.toFixed(2)} | ${summary.p95.toFixed(2)} | ${summary.p99.toFixed(2)} | ${summary.cpuMsPerRequest.toFixed(2)} | ${target} |`;
  console.log(`
### Results (${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, \`node bench/metricsBench.ts\`)

| Ingest | samples | seconds | samples/s | goal |
|---|---|---|---|---|
| bulk (multi-row insert, ${writers} writers, rollups running) | ${written.toLocaleString()} | ${bulkSeconds.toFixed(1)} | ${Math.round(written / bulkSeconds).toLocaleString()} | ≥ 100,000 |
| bulk including rollup catch-up (${drainSeconds.toFixed(1)} s after the last write) | ${written.toLocaleString()} | ${(bulkSeconds + drainSeconds).toFixed(1)} | ${Math.round(written / (bulkSeconds + drainSeconds)).toLocaleString()} | |
| OTLP/HTTP JSON (8 clients, ${perExport} points per export) | ${otlpSamples.toLocaleString()} | ${otlpSeconds.toFixed(1)} | ${Math.round(otlpSamples / otlpSeconds).toLocaleString()} | ≥ 100,000 |
| OTLP including rollup catch-up (${otlpDrainSeconds.toFixed(1)} s) | ${otlpSamples.toLocaleString()} | ${(otlpSeconds + otlpDrainSeconds).toFixed(1)} | ${Math.round(otlpSamples / (otlpSeconds + otlpDrainSeconds)).toLocaleString()} | |
| OTLP/HTTP protobuf (8 clients, ${perExport} points per export) | ${protobufSamples.toLocaleString()} | ${protobufSeconds.toFixed(1)} | ${Math.round(protobufSamples / protobufSeconds).toLocaleString()} | ≥ 100,000 |

CPU, ingest and rollups together: bulk ${describeCpu(bulkCpu, written)}; OTLP JSON ${describeCpu(otlpCpu, otlpSamples)}; OTLP protobuf ${describeCpu(protobufCpu, protobufSamples)}.

| Query (${queryCount} requests, one at a time, to the subgraph) | p50 ms | p95 ms | p99 ms | platform CPU ms / request | goal (p95) |
|---|---|---|---|---|---|
${row('`{ __typename }` baseline (before)', baselineBefore, '')}
${row('`VM.metrics` 7 d at 5-min step', vmSeries, '≤ 20 ms')}
${row(`\`fleetMetrics\` ${vmCount} VMs, 24 h, by region`, fleetSeries, '≤ 200 ms')}
${row('`{ __typename }` baseline (after)', baselineAfter, '')}
`);
  if (profileDir && child.pid) {
    const roles: ProfilePhases['roles'] = { [child.pid]: 'metrics subgraph' };
    await writeFile(join(profileDir, 'bench-phases.json'), `${JSON.stringify({ roles, phases } satisfies ProfilePhases, null, 2)}\n`);
  }
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await cleanUp();
}

/**
 * Platform CPU (Postgres and the metrics subgraph; the load generator apart) per sample, and how
 * busy the rest of the machine was: on a shared machine the rate alone says little.
 */
function describeCpu(interval: CpuInterval, samples: number): string {
  const platform = interval.roles.filter((role) => !role.role.startsWith('bench')).reduce((sum, role) => sum + role.cpuSeconds, 0);
  const generator = interval.roles.filter((role) => role.role.startsWith('bench')).reduce((sum, role) => sum + role.cpuSeconds, 0);
  return `${platform.toFixed(1)} platform CPU-s = ${Math.round(samples / platform).toLocaleString()} samples per platform CPU-second (generator ${generator.toFixed(1)} CPU-s; machine busy ${Math.round(interval.machinePercentOfCore)} % of a core, ${Math.round(interval.otherPercentOfCore)} % by other work)`;
}

/** The data set in batches: CPU and memory of each VM, one sample a minute, from the simulated series. */
function* generateBatches(vmIds: string[], from: Date, to: Date, size: number): Generator<Sample[]> {
  let batch: Sample[] = [];
  const labels = ['web', 'batch', 'database', 'idle'];
  for (const [index, vmId] of vmIds.entries()) {
    const samples = generateSimulatedSamples({ vmId, labels: { workload: labels[index % 4]! } }, new Date(from.getTime() - 60_000), to);
    for (const sample of samples) {
      if (sample.kind !== 'CPU_PERCENT' && sample.kind !== 'MEMORY_PERCENT') continue;
      batch.push(sample);
      if (batch.length === size) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * POSTs protobuf exports with `concurrency` clients (`runLoad` speaks JSON only); returns the wall
 * time and how many were accepted whole.
 */
async function postProtobufExports(url: string, token: string, bodies: Uint8Array[], concurrency: number): Promise<{ wallMs: number; accepted: number; failures: string[] }> {
  let next = 0;
  let accepted = 0;
  const failures: string[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let index = next++; index < bodies.length; index = next++) {
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-protobuf', [internalTokenHeader]: token }, body: Buffer.from(bodies[index]!) });
        const text = await response.text();
        if (response.status === 200 && text === '{}') accepted += 1;
        else failures.push(`${response.status} ${text.slice(0, 200)}`);
      }
    }),
  );
  return { wallMs: performance.now() - started, accepted, failures };
}

/** One OTLP export: `resources` VMs, receive and transmit, 20 seconds from `fromMs` on (distinct per export index). */
function otlpExport(vmIds: string[], resources: number, index: number, fromMs: number): string {
  const first = (index * resources) % vmIds.length;
  const secondBase = fromMs + Math.floor((index * resources) / vmIds.length) * 20_000;
  const resourceMetrics = Array.from({ length: resources }, (_, offset) => {
    const vmId = vmIds[(first + offset) % vmIds.length]!;
    const dataPoints = [];
    for (let second = 0; second < 20; second++) {
      const timeUnixNano = `${BigInt(secondBase + second * 1000 + 7) * 1_000_000n}`;
      for (const direction of ['receive', 'transmit']) {
        dataPoints.push({ attributes: [{ key: 'direction', value: { stringValue: direction } }, { key: 'device', value: { stringValue: 'eth0' } }], timeUnixNano, asInt: String(1000 + second) });
      }
    }
    return {
      resource: { attributes: [{ key: 'novacron.vm.id', value: { stringValue: vmId } }] },
      scopeMetrics: [{ scope: { name: 'bench' }, metrics: [{ name: 'system.network.io', unit: 'By', sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints } }] }],
    };
  });
  return JSON.stringify({ resourceMetrics });
}

async function waitForReady(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (await fetch(url).then((response) => response.ok, () => false)) return;
    await new Promise((done) => setTimeout(done, 200));
  }
  throw new Error(`${url} did not become ready`);
}

async function waitForRollups(sql: Awaited<ReturnType<typeof startBenchDatabase>>['sql']): Promise<void> {
  for (;;) {
    // Buckets still open (the current 5 minutes and hour) are rolled up once they close.
    const [row] = await sql<{ n: number }[]>`
      select (select count(*) from metrics.rollup_pending_5m where bucket_start + interval '5 minutes 30 seconds' <= now())
           + (select count(*) from metrics.rollup_pending_1h where bucket_start + interval '1 hour 30 seconds' <= now()) as n`;
    if (Number(row!.n) === 0) return;
    await new Promise((done) => setTimeout(done, 250));
  }
}
