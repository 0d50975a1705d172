/**
 * Subscription fan-out benchmark (the real-time issue's target): S graphql-ws subscribers, held by
 * client processes separate from the one gateway process, while real stopVM/startVM mutations commit
 * about R VM events per second. Prints event-commit-to-client latency p50/p95/p99 (receive time −
 * `occurredAt`), gateway RSS per idle connection, gateway and client CPU, and whether anything was
 * lost, reordered or dropped (exit 1 if so). Method and results: docs/benchmarks.md; `--help` lists the flags.
 *
 * Phases: fd limit → Postgres + `scripts/start.ts` → VM pool (all RUNNING) → warm-up state changes
 * without subscribers → gateway memory with no clients → connect half, memory → connect the rest,
 * memory (idle) → state changes with everyone subscribed (warm-up, then the recorded window) →
 * wait for the last deliveries → collect client reports, compare with `vms.vm_events` → report.
 */
import { execFileSync, fork, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { cpus, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createVmPool, startStateChangeDriver, type StateChangeDriver } from './src/driveVmStateChanges.ts';
import { fanOutTargets, type FanOutResults, type LatencyBreakdown, type MemoryPoint, type MemorySample } from './src/FanOutResults.ts';
import { bucketDelta, histogramQuantile } from './src/histogramQuantiles.ts';
import { flatMbPerMinute, memoryTrend } from './src/memoryTrend.ts';
import { formatFanOutMarkdown, formatFanOutTable, hasDeliveryProblems } from './src/formatFanOutReport.ts';
import { parseFanOutOptions } from './src/parseFanOutOptions.ts';
import { deliveryStages, gatewayCpuSeconds, readGatewayMetrics, sampleGatewayMemory, sampleSettledGatewayMemory, type DeliveryStage, type GatewayMetrics } from './src/readGatewayMetrics.ts';
import { readPostgresRoles } from './src/samplePostgresActivity.ts';
import { cpuBetween, snapshotProcessCpu } from './src/snapshotProcessCpu.ts';
import { startFanOutPlatform, type FanOutPlatform } from './src/startFanOutPlatform.ts';
import type { FromSubscriberClient, SubscriberProgress, SubscriberReport, ToSubscriberClient } from './src/subscriberMessages.ts';
import { summarizeLatencies } from './src/summarizeLatencies.ts';
import { monotonicMicros, writeProfilePhases } from './src/writeProfilePhases.ts';

const subscriptionQuery = 'subscription ($ids: [ID!]) { vmEvents(filter: { ids: $ids }) { type version occurredAt cursor vm { id status } } }';
const latencyBounds = [10, 25, 50, 100, 250, 1000];

const log = (line: string) => process.stdout.write(`[bench] ${line}\n`);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const options = parseFanOutOptions(process.argv.slice(2));
const runId = randomBytes(4).toString('hex');

/**
 * Every connection is a file descriptor in the gateway (and one in a client). When the soft limit
 * is too low but the hard one allows it, re-runs this script under `ulimit -n`; returns the child's
 * exit code then, or null to go on in this process.
 */
function ensureOpenFilesLimit(): number | null {
  const needed = options.subscribers + 4_096;
  const limits = (process.report.getReport() as { userLimits?: { open_files?: { soft: number | string; hard: number | string } } }).userLimits?.open_files;
  const soft = limits?.soft === 'unlimited' ? Infinity : Number(limits?.soft ?? Infinity);
  const hard = limits?.hard === 'unlimited' ? Infinity : Number(limits?.hard ?? Infinity);
  if (soft >= needed) return null;
  if (hard < needed || process.env.BENCH_FANOUT_ULIMIT_RAISED) {
    throw new Error(`open files limit ${soft} (hard ${hard}) is below the ${needed} this run needs; raise it (ulimit -n ${needed}) or use fewer --subscribers`);
  }
  log(`raising the open files limit from ${soft} to ${needed} (re-running under ulimit -n)`);
  const script = fileURLToPath(import.meta.url);
  const result = spawnSync('bash', ['-c', `ulimit -n ${needed} && exec "$0" "$@"`, process.execPath, ...process.execArgv, script, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_FANOUT_ULIMIT_RAISED: '1' },
  });
  return result.status ?? 1;
}

/**
 * `abc1234`, or `abc1234 + uncommitted changes` when files outside bench/ differ from it. With
 * `--platform-root` outside git (e.g. a `git archive` snapshot), its REVISION file names it.
 */
function revision(): string {
  const root = options.platformRoot ?? fileURLToPath(new URL('..', import.meta.url));
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = git('status', '--porcelain', '--', '.', ':(exclude)bench', ':(exclude)docs/benchmarks.md') !== '';
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted changes' : ''}`;
  } catch {
    try {
      return `${readFileSync(join(root, 'REVISION'), 'utf8').trim()} (snapshot in ${root})`;
    } catch {
      return `unknown (${root})`;
    }
  }
}

/** The subscriber client processes and what they last said. */
interface Clients {
  processes: ChildProcess[];
  progress: SubscriberProgress[];
  send(index: number, message: ToSubscriberClient): void;
  total(): SubscriberProgress;
  report(toEpochMs: number): Promise<SubscriberReport[]>;
  exit(): Promise<void>;
}

function startClients(count: number): Clients {
  const entry = fileURLToPath(new URL('./src/subscriberClient.ts', import.meta.url));
  const progress: SubscriberProgress[] = [];
  const reports: ((report: SubscriberReport) => void)[] = [];
  const processes = Array.from({ length: count }, (_, index) => {
    progress[index] = { type: 'progress', opened: 0, subscribed: 0, failed: 0, closedUnexpectedly: 0, recorded: 0 };
    // Structured clone over IPC carries the typed arrays of the reports as they are.
    const child = fork(entry, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (message: FromSubscriberClient) => {
      if (message.type === 'progress') progress[index] = message;
      else reports[index]?.(message);
    });
    child.once('exit', (code, signal) => {
      if (code !== 0 && code !== null) log(`subscriber client ${index} exited with ${signal ?? `code ${code}`}`);
    });
    return child;
  });
  return {
    processes,
    progress,
    send: (index, message) => processes[index]!.send(message),
    total: () =>
      progress.reduce(
        (sum, each) => ({
          type: 'progress',
          opened: sum.opened + each.opened,
          subscribed: sum.subscribed + each.subscribed,
          failed: sum.failed + each.failed,
          closedUnexpectedly: sum.closedUnexpectedly + each.closedUnexpectedly,
          recorded: sum.recorded + each.recorded,
        }),
        { type: 'progress', opened: 0, subscribed: 0, failed: 0, closedUnexpectedly: 0, recorded: 0 },
      ),
    report: (toEpochMs) =>
      Promise.all(
        processes.map(
          (child, index) =>
            new Promise<SubscriberReport>((resolve, reject) => {
              const timer = setTimeout(() => reject(new Error(`subscriber client ${index} did not report`)), 60_000);
              reports[index] = (report) => {
                clearTimeout(timer);
                resolve(report);
              };
              child.send({ type: 'report', toEpochMs } satisfies ToSubscriberClient);
            }),
        ),
      ),
    exit: async () => {
      await Promise.all(
        processes.map(async (child) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = new Promise<void>((done) => child.once('exit', () => done()));
          if (child.connected) child.send({ type: 'exit' } satisfies ToSubscriberClient);
          else child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(timer);
        }),
      );
    },
  };
}

/** Asks every client process to open its share of connections `from`–`to` and waits until the gateway has them all subscribed. */
async function connect(platform: FanOutPlatform, clients: Clients, assignments: (string | null)[], from: number, to: number): Promise<void> {
  const url = `${platform.gatewayOrigin.replace('http', 'ws')}/graphql`;
  const perProcess = options.connectPerSecond / clients.processes.length;
  for (let index = 0; index < clients.processes.length; index += 1) {
    // Connection k of the run goes to process k mod P, so each process holds a mix of VMs (and unfiltered ones).
    const processes = clients.processes.length;
    const firstK = from + ((((index - from) % processes) + processes) % processes);
    const mine: (string | null)[] = [];
    for (let k = firstK; k < to; k += processes) mine.push(assignments[k] ?? null);
    // Its connections are numbered k div P within the process, so report k = number × P + process.
    clients.send(index, {
      type: 'connect',
      url,
      query: subscriptionQuery,
      vmIds: mine,
      firstIndex: (firstK - index) / processes,
      connectPerSecond: perProcess,
      authorization: platform.authorization,
    });
  }
  const deadline = Date.now() + ((to - from) / options.connectPerSecond) * 1000 + 120_000;
  let lastLog = 0;
  for (;;) {
    await sleep(500);
    const total = clients.total();
    const metrics = await readGatewayMetrics(platform.gatewayMetricsUrl);
    if (Date.now() - lastLog > 2_000) {
      lastLog = Date.now();
      log(`  connecting: ${total.opened} open, ${total.subscribed} subscribed, ${total.failed} failed; gateway: ${metrics.webSocketConnections} connections, ${metrics.subscribers} subscribers`);
    }
    if (metrics.subscribers >= to) return;
    if (total.failed > 0 && total.subscribed + total.failed >= to) {
      const samples = clients.progress.flatMap((each) => each.failureSamples ?? []).slice(0, 5);
      throw new Error(`${total.failed} connections failed: ${samples.join('; ')}`);
    }
    if (Date.now() > deadline) throw new Error(`only ${metrics.subscribers} of ${to} subscribers after the connect deadline`);
  }
}

/**
 * Makes the gateway write a heap snapshot (it runs with `--heapsnapshot-signal=SIGUSR2`) and returns
 * the new file. Writing blocks the gateway's event loop, so a `/metrics` answer means it is done.
 */
async function takeHeapSnapshot(platform: FanOutPlatform, dir: string, label: string): Promise<string | null> {
  if (!platform.gatewayPid) return null;
  const before = new Set(readdirSync(dir));
  log(`heap snapshot of the gateway (${label}); the gateway pauses while it writes`);
  process.kill(platform.gatewayPid, 'SIGUSR2');
  for (let attempt = 0; attempt < 120; attempt += 1) {
    await sleep(1_000);
    // The first scrape after the pause may meet a keep-alive socket the gateway closes as it wakes
    // ("fetch failed"): only an answer counts.
    const answered = await readGatewayMetrics(platform.gatewayMetricsUrl).then(
      () => true,
      () => false,
    );
    const written = readdirSync(dir).find((name) => !before.has(name) && name.endsWith('.heapsnapshot'));
    if (answered && written) {
      log(`  ${join(dir, written)}`);
      return join(dir, written);
    }
  }
  log('  no heap snapshot appeared');
  return null;
}

async function countEvents(platform: FanOutPlatform, fromEpochMs: number, toEpochMs: number): Promise<Map<string, number>> {
  const rows = await platform.sql<{ vmId: string; events: number }[]>`
    select vm_id as "vmId", count(*)::int as events from vms.vm_events
    where created_at >= ${new Date(fromEpochMs)} and created_at < ${new Date(toEpochMs)} group by vm_id`;
  return new Map(rows.map((row) => [row.vmId, row.events]));
}

/** Where the window's latency went, from the gateway's stage histograms and loop/GC figures and the clients' own. */
function latencyBreakdown(before: GatewayMetrics, after: GatewayMetrics, loopLags: GatewayMetrics['eventLoopLag'][], reports: SubscriberReport[]): LatencyBreakdown {
  const ms = (seconds: number) => seconds * 1000;
  const stages = Object.fromEntries(
    deliveryStages.map((stage) => {
      const delta = bucketDelta(before.stageLag[stage], after.stageLag[stage]);
      return [stage, { count: delta.at(-1)?.[1] ?? 0, p50: ms(histogramQuantile(0.5, delta)), p95: ms(histogramQuantile(0.95, delta)), p99: ms(histogramQuantile(0.99, delta)) }];
    }),
  ) as LatencyBreakdown['stages'];
  const middle = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
  const gatewayGc: LatencyBreakdown['gatewayGc'] = {};
  for (const [kind, end] of Object.entries(after.gc)) {
    const start = before.gc[kind] ?? { count: 0, seconds: 0, over10Ms: 0, over100Ms: 0 };
    gatewayGc[kind] = { count: end.count - start.count, totalMs: ms(end.seconds - start.seconds), over10Ms: end.over10Ms - start.over10Ms, over100Ms: end.over100Ms - start.over100Ms };
  }
  return {
    stages,
    gatewayEventLoopMs: {
      p99Worst: ms(Math.max(...loopLags.map((lag) => lag.p99))),
      maxWorst: ms(Math.max(...loopLags.map((lag) => lag.max))),
      p99Median: ms(middle(loopLags.map((lag) => lag.p99))),
      maxMedian: ms(middle(loopLags.map((lag) => lag.max))),
    },
    gatewayGc,
    clients: reports.map((report) => ({ eventLoopDelayMs: report.eventLoopDelayMs, gc: report.gc })),
  };
}

async function main(): Promise<number> {
  const raised = ensureOpenFilesLimit();
  if (raised !== null) return raised;
  log(`starting Postgres and the platform (SIM_LATENCY_MS=${options.simLatencyMs})`);
  const platform = await startFanOutPlatform({ simLatencyMs: options.simLatencyMs, root: options.platformRoot, cpuProfileDir: options.cpuProfileDir, heapSnapshotDir: options.heapSnapshotDir, verbose: options.verbose, log: (line) => process.stdout.write(`[platform] ${line}\n`) });
  let clients: Clients | undefined;
  const drivers: StateChangeDriver[] = [];
  let stopping = false;
  const cleanUp = async () => {
    if (stopping) return;
    stopping = true;
    for (const driver of drivers) driver.abort();
    await clients?.exit().catch(() => {});
    await platform.stop();
  };
  const interrupt = () => {
    log('interrupted; stopping the clients and the platform');
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    const graphqlUrl = `${platform.gatewayOrigin}/graphql`;
    const gateway = { url: graphqlUrl, authorization: platform.authorization };
    const [pgVersion] = await platform.sql<{ version: string }[]>`select current_setting('server_version') as version`;
    const processors = cpus();
    const machine = {
      cpuCount: processors.length,
      cpuModel: processors[0]?.model.trim() ?? 'unknown',
      memoryGiB: totalmem() / 1024 ** 3,
      os: `${type()} ${release()}`,
      node: process.version,
      postgres: `PostgreSQL ${pgVersion?.version ?? '?'}`,
    };
    log(`ready: ${graphqlUrl}; creating ${options.vmPool} VMs`);
    const vmIds = await createVmPool({ gateway, sql: platform.sql, count: options.vmPool, namePrefix: `fanout-${runId}` });

    // Warm-up without subscribers: events per operation (to pace the measured phase) and the gateway's CPU for the mutations alone.
    let eventsPerOperation = 2.5;
    const warmup = { eventsPerOperation, gatewayCpuPercent: 0, eventsPerSecond: 0, seconds: 0 };
    if (options.warmupSeconds > 0) {
      log(`warm-up: ${options.warmupSeconds} s of stop/start without subscribers`);
      const from = Date.now();
      const before = await readGatewayMetrics(platform.gatewayMetricsUrl);
      const driver = await startStateChangeDriver({ gateway, sql: platform.sql, vmIds, operationsPerSecond: options.eventsPerSecond / eventsPerOperation });
      drivers.push(driver);
      await sleep(options.warmupSeconds * 1000);
      const after = await readGatewayMetrics(platform.gatewayMetricsUrl);
      const to = Date.now();
      const stats = await driver.stop();
      const events = [...(await countEvents(platform, from, Date.now() + 1_000)).values()].reduce((sum, each) => sum + each, 0);
      if (stats.succeeded > 0) eventsPerOperation = events / stats.succeeded;
      Object.assign(warmup, {
        eventsPerOperation,
        gatewayCpuPercent: (gatewayCpuSeconds(before, after) / ((to - from) / 1000)) * 100,
        eventsPerSecond: events / ((to - from) / 1000),
        seconds: (to - from) / 1000,
      });
      log(`  ${events} events from ${stats.succeeded} operations (${eventsPerOperation.toFixed(2)} per operation); gateway CPU ${warmup.gatewayCpuPercent.toFixed(1)} %`);
    }

    // Subscriber k filters on VM (k − unfiltered) mod pool; the first `unfiltered` have no filter.
    const assignments = Array.from({ length: options.subscribers }, (_, k) => (k < options.unfiltered ? null : vmIds[(k - options.unfiltered) % vmIds.length]!));
    const perVm = new Map<string, number>();
    for (const vmId of assignments) if (vmId) perVm.set(vmId, (perVm.get(vmId) ?? 0) + 1);

    log('gateway memory before any client connects');
    await sleep(3_000);
    const memorySamples: MemorySample[] = [await sampleGatewayMemory(platform.gatewayMetricsUrl, 'no clients')];
    // The same once RSS has settled: the fixed-delay sample above can still hold the warm-up's garbage.
    const settledNoClients = await sampleSettledGatewayMemory(platform.gatewayMetricsUrl, 'no clients, settled');
    const heapSnapshots: string[] = [];
    const snapshot = async (label: string) => {
      const file = options.heapSnapshotDir ? await takeHeapSnapshot(platform, options.heapSnapshotDir, label) : null;
      if (file) heapSnapshots.push(file);
    };
    // Writing a snapshot holds a copy of the heap graph in native memory that the allocator may keep:
    // in soak mode that would sit in the RSS trend, so only the snapshot after the fan-out is taken.
    // Against this one, the idle snapshot shows what the connections retain (taken after the memory sample).
    if (!options.soak) await snapshot('no clients');
    const processCount = Math.min(options.clientProcesses, options.subscribers);
    clients = startClients(processCount);
    const half = Math.floor(options.subscribers / 2);
    const connectStarted = Date.now();
    log(`connecting ${half} subscribers at ${options.connectPerSecond}/s from ${processCount} processes`);
    await connect(platform, clients, assignments, 0, half);
    let connectSeconds = (Date.now() - connectStarted) / 1000;
    await sleep(options.idleSettleSeconds * 1000);
    memorySamples.push(await sampleGatewayMemory(platform.gatewayMetricsUrl, `${half} idle subscribers`));
    const secondStarted = Date.now();
    log(`connecting the other ${options.subscribers - half}`);
    await connect(platform, clients, assignments, half, options.subscribers);
    connectSeconds += (Date.now() - secondStarted) / 1000;
    log(`all ${options.subscribers} subscribed; letting them idle ${options.idleSettleSeconds} s`);
    const idleFrom = await readGatewayMetrics(platform.gatewayMetricsUrl);
    const idleFromAt = Date.now();
    const idleFromUs = monotonicMicros();
    await sleep(options.idleSettleSeconds * 1000);
    const idle = await sampleGatewayMemory(platform.gatewayMetricsUrl, `${options.subscribers} idle subscribers`);
    memorySamples.push(idle);
    // Idle is not free: keep-alive pings and their timers, one per connection.
    const idleToUs = monotonicMicros();
    const idleGatewayCpuPercent = (gatewayCpuSeconds(idleFrom, await readGatewayMetrics(platform.gatewayMetricsUrl)) / ((Date.now() - idleFromAt) / 1000)) * 100;
    const groupsAtIdle = (await readGatewayMetrics(platform.gatewayMetricsUrl)).groups;
    // After the idle CPU window, so waiting for RSS to settle does not change that figure.
    const settledIdle = await sampleSettledGatewayMemory(platform.gatewayMetricsUrl, `${options.subscribers} idle, settled`);
    if (!options.soak) await snapshot('all subscribers idle');
    const first = memorySamples[0]!;
    const middle = memorySamples[1]!;
    const perConnectionKb = (fromMb: number, toMb: number, connections: number) => ((toMb - fromMb) * 1024) / Math.max(1, connections);
    log(`  gateway RSS ${first.rssMb.toFixed(0)} → ${middle.rssMb.toFixed(0)} → ${idle.rssMb.toFixed(0)} MB: ${perConnectionKb(first.rssMb, idle.rssMb, options.subscribers).toFixed(1)} KB per connection`);

    const operationsPerSecond = options.eventsPerSecond / eventsPerOperation;
    log(`fan-out: ${operationsPerSecond.toFixed(1)} stop/start per s (≈ ${options.eventsPerSecond} events/s); ${options.fanOutWarmupSeconds} s unrecorded, then ${options.durationSeconds} s recorded`);
    const driver = await startStateChangeDriver({ gateway, sql: platform.sql, vmIds, operationsPerSecond });
    drivers.push(driver);
    await sleep(options.fanOutWarmupSeconds * 1000);
    const fromEpochMs = Date.now();
    for (let index = 0; index < processCount; index += 1) clients.send(index, { type: 'record', fromEpochMs });
    const fanOutFromUs = monotonicMicros();
    const metricsBefore = await readGatewayMetrics(platform.gatewayMetricsUrl);
    const cpuBefore = snapshotProcessCpu(await readPostgresRoles(platform.sql));
    const memoryTimeline: MemoryPoint[] = [];
    const loopLags: GatewayMetrics['eventLoopLag'][] = [];
    // Each scrape's stage histograms: the stages' p99 slice by slice (a disturbed minute does not hide the rest).
    const stageScrapes: { second: number; stageLag: GatewayMetrics['stageLag'] }[] = [{ second: 0, stageLag: metricsBefore.stageLag }];
    const mb = (bytes: number) => bytes / 1024 / 1024;
    while (Date.now() - fromEpochMs < options.durationSeconds * 1000) {
      await sleep(Math.min(5_000, Math.max(0, options.durationSeconds * 1000 - (Date.now() - fromEpochMs))));
      const metrics = await readGatewayMetrics(platform.gatewayMetricsUrl);
      const { memory } = metrics;
      loopLags.push(metrics.eventLoopLag);
      stageScrapes.push({ second: (Date.now() - fromEpochMs) / 1000, stageLag: metrics.stageLag });
      const point = { second: (Date.now() - fromEpochMs) / 1000, rssMb: mb(memory.rss), heapUsedMb: mb(memory.heapUsed), heapTotalMb: mb(memory.heapTotal), externalMb: mb(memory.external), oldSpaceMb: mb(memory.oldSpaceUsed) };
      memoryTimeline.push(point);
      log(
        `  ${point.second.toFixed(0)} s: ${metrics.deliveries - metricsBefore.deliveries} deliveries, RSS ${point.rssMb.toFixed(0)} MB (heap used ${point.heapUsedMb.toFixed(0)} of ${point.heapTotalMb.toFixed(0)}, old space ${point.oldSpaceMb.toFixed(0)}, external ${point.externalMb.toFixed(0)}), ${metrics.subscribers} subscribers, ${metrics.slowConsumersDropped} dropped`,
      );
    }
    const toEpochMs = Date.now();
    const rssTimeline = memoryTimeline.map((point): [number, number] => [point.second, point.rssMb]);
    const heapTimeline = memoryTimeline.map((point): [number, number] => [point.second, point.heapUsedMb]);
    const soak = options.soak ? memoryTrend(memoryTimeline, options.durationSeconds / 5) : undefined;
    if (soak) {
      log(
        `  soak: after ${soak.fromSecond.toFixed(0)} s, gateway RSS ${soak.rssMbPerMinute.toFixed(2)} MB/min, heap ${soak.heapMbPerMinute.toFixed(2)} MB/min, external ${soak.externalMbPerMinute.toFixed(2)} MB/min; just after its ${soak.afterCollections.count} major collections RSS ${soak.afterCollections.rssMbPerMinute.toFixed(2)}, heap ${soak.afterCollections.heapMbPerMinute.toFixed(2)} MB/min: ${soak.flat ? 'flat' : 'GROWING'} (flat: RSS under ${flatMbPerMinute} MB/min)`,
      );
    }
    const fanOutToUs = monotonicMicros();
    const metricsAfter = await readGatewayMetrics(platform.gatewayMetricsUrl);
    const cpuAfter = snapshotProcessCpu(await readPostgresRoles(platform.sql));
    const driverStats = await driver.stop();
    if (options.cpuProfileDir) {
      await writeProfilePhases(options.cpuProfileDir, cpuAfter, { idle: { fromUs: idleFromUs, toUs: idleToUs }, fanOut: { fromUs: fanOutFromUs, toUs: fanOutToUs } });
    }
    // The last events are still on their way: wait until the clients hold every delivery the
    // committed events call for (all events since the window opened, the stragglers after it too),
    // or until nothing has arrived for a while.
    const allEvents = await countEvents(platform, fromEpochMs, Date.now() + 60_000);
    let expectedAll = options.unfiltered * [...allEvents.values()].reduce((sum, each) => sum + each, 0);
    for (const [vmId, count] of allEvents) expectedAll += count * (perVm.get(vmId) ?? 0);
    let received = -1;
    let lastProgressAt = Date.now();
    while (clients.total().recorded < expectedAll && Date.now() - lastProgressAt < 30_000) {
      await sleep(1_000);
      const now = clients.total().recorded;
      if (now !== received) lastProgressAt = Date.now();
      received = now;
    }
    const drainSeconds = (Date.now() - toEpochMs) / 1000;
    log(`  clients hold ${clients.total().recorded} of ${expectedAll} deliveries due, ${drainSeconds.toFixed(1)} s after the window closed`);
    const afterFanOut = await sampleGatewayMemory(platform.gatewayMetricsUrl, 'after fan-out', 1);
    await snapshot('after the fan-out');
    const finalMetrics = await readGatewayMetrics(platform.gatewayMetricsUrl);
    const reports = await clients.report(toEpochMs);

    const eventsByVm = await countEvents(platform, fromEpochMs, toEpochMs);
    const events = [...eventsByVm.values()].reduce((sum, each) => sum + each, 0);
    let expected = 0;
    let missing = 0;
    let unexpected = 0;
    for (let index = 0; index < processCount; index += 1) {
      const report = reports[index]!;
      report.deliveredPerConnection.forEach((got, local) => {
        const vmId = assignments[local * processCount + index];
        const want = vmId === undefined ? 0 : vmId === null ? events : (eventsByVm.get(vmId) ?? 0);
        expected += want;
        missing += Math.max(0, want - got);
        unexpected += Math.max(0, got - want);
      });
    }
    const latencies = new Float64Array(reports.reduce((sum, report) => sum + report.latenciesMs.length, 0));
    let offset = 0;
    for (const report of reports) {
      latencies.set(report.latenciesMs, offset);
      offset += report.latenciesMs.length;
    }
    const latency = summarizeLatencies(Array.from(latencies));
    const slices = new Map<number, number[]>();
    for (const report of reports) {
      report.occurredAtMs.forEach((occurred, index) => {
        const slice = Math.floor((occurred - fromEpochMs) / 10_000) * 10;
        let values = slices.get(slice);
        if (!values) slices.set(slice, (values = []));
        values.push(report.latenciesMs[index]!);
      });
    }
    const latencyOverTime = [...slices]
      .sort(([a], [b]) => a - b)
      .map(([fromSecond, values]) => {
        const summary = summarizeLatencies(values);
        return { fromSecond, count: summary.count, p50: summary.p50, p99: summary.p99, max: summary.max };
      });
    // Late deliveries by the second they were received: a periodic stall (a timer's burst, a collection)
    // shows as a few seconds holding most of them, a slow stage as late deliveries everywhere.
    const lateBySecond = new Map<number, number>();
    for (const report of reports) {
      report.occurredAtMs.forEach((occurred, index) => {
        const latencyMs = report.latenciesMs[index]!;
        if (latencyMs <= fanOutTargets.p99Ms) return;
        const second = Math.floor((occurred + latencyMs - fromEpochMs) / 1000);
        lateBySecond.set(second, (lateBySecond.get(second) ?? 0) + 1);
      });
    }
    const lateSeconds = [...lateBySecond].sort(([, a], [, b]) => b - a);
    const lateTotal = lateSeconds.reduce((sum, [, count]) => sum + count, 0);
    const lateDeliveries = {
      total: lateTotal,
      seconds: lateSeconds.length,
      worstSeconds: lateSeconds.slice(0, 8).map(([second, count]): [number, number] => [second, count]),
      shareInWorstFive: lateSeconds.slice(0, 5).reduce((sum, [, count]) => sum + count, 0) / Math.max(1, lateTotal),
    };
    const latencyShares = latencyBounds.map((bound): [number, number] => [bound, latencies.filter((value) => value <= bound).length / Math.max(1, latencies.length)]);
    const seconds = (toEpochMs - fromEpochMs) / 1000;
    const gatewayCpu = gatewayCpuSeconds(metricsBefore, metricsAfter);
    const closes: Record<string, number> = {};
    for (const report of reports) for (const [reason, count] of Object.entries(report.closes)) closes[reason] = (closes[reason] ?? 0) + count;
    const total = clients.total();
    const warnings = platform.warnings();
    const filteredCounts = [...perVm.values()];
    const { verbose: _verbose, jsonPath: _jsonPath, cpuProfileDir: _cpuProfileDir, heapSnapshotDir: _heapSnapshotDir, ...reportedOptions } = options;

    const breakdown = latencyBreakdown(metricsBefore, metricsAfter, loopLags, reports);
    breakdown.stagesOverTime = stageScrapes.slice(1).map((scrape, index) => {
      const p99 = (stage: DeliveryStage) => histogramQuantile(0.99, bucketDelta(stageScrapes[index]!.stageLag[stage], scrape.stageLag[stage])) * 1000;
      return { toSecond: scrape.second, read: p99('read'), payload: p99('payload'), sent: p99('sent') };
    });
    const results: FanOutResults = {
      date: new Date().toISOString(),
      command: `node bench/subscriptionFanOut.ts ${process.argv.slice(2).join(' ')}`.trim(),
      revision: revision(),
      machine,
      options: reportedOptions,
      spread: {
        filteredPerVm: { min: filteredCounts.length ? Math.min(...filteredCounts) : 0, max: filteredCounts.length ? Math.max(...filteredCounts) : 0 },
        unfiltered: options.unfiltered,
        groups: groupsAtIdle,
      },
      connect: { seconds: connectSeconds, subscribed: total.subscribed, failed: total.failed },
      memory: {
        samples: memorySamples,
        rssKbPerConnection: perConnectionKb(first.rssMb, idle.rssMb, options.subscribers),
        marginalRssKbPerConnection: perConnectionKb(middle.rssMb, idle.rssMb, options.subscribers - half),
        heapKbPerConnection: perConnectionKb(first.heapUsedMb, idle.heapUsedMb, options.subscribers),
        idleGatewayCpuPercent,
        afterFanOut,
        settled: {
          noClients: settledNoClients,
          idle: settledIdle,
          rssKbPerConnection: perConnectionKb(settledNoClients.rssMb, settledIdle.rssMb, options.subscribers),
          heapKbPerConnection: perConnectionKb(settledNoClients.heapUsedMb, settledIdle.heapUsedMb, options.subscribers),
        },
      },
      warmup,
      fanOut: {
        seconds,
        operationsPerSecond,
        events,
        eventsPerSecond: events / seconds,
        expectedDeliveries: expected,
        delivered: latencies.length,
        missing,
        unexpected,
        outOfOrder: reports.reduce((sum, report) => sum + report.outOfOrder, 0),
        latency,
        latencyShares,
        latencyOverTime,
        gatewayDeliveries: metricsAfter.deliveries - metricsBefore.deliveries,
        payloadExecutions: metricsAfter.payloadExecutions - metricsBefore.payloadExecutions,
        slowConsumersDropped: finalMetrics.slowConsumersDropped,
        gatewayCpuPercent: (gatewayCpu / seconds) * 100,
        gatewayCpuMsPerEvent: (gatewayCpu * 1000) / Math.max(1, events),
        clientCpuPercent: (reports.reduce((sum, report) => sum + report.cpuSeconds, 0) / seconds) * 100,
        clientRssMb: reports.reduce((sum, report) => sum + report.rssMb, 0),
        cpu: cpuBetween(cpuBefore, cpuAfter),
        rssTimeline,
        heapTimeline,
        memoryTimeline,
        ...(soak ? { soak } : {}),
        breakdown,
        lateDeliveries,
      },
      heapSnapshots,
      driver: driverStats,
      problems: {
        connectionErrors: total.failed,
        closedUnexpectedly: total.closedUnexpectedly,
        closes,
        errorMessages: reports.reduce((sum, report) => sum + report.errorMessages, 0),
        errorSamples: reports.flatMap((report) => report.errorSamples).slice(0, 10),
        platformWarnings: warnings.count,
        platformWarningSamples: warnings.samples,
      },
    };
    process.stdout.write(`${formatFanOutTable(results)}\n\n--- markdown ---\n${formatFanOutMarkdown(results)}\n--- end markdown ---\n`);
    if (options.jsonPath) await writeFile(options.jsonPath, `${JSON.stringify(results, null, 2)}\n`);
    if (hasDeliveryProblems(results)) {
      log('FAILED: deliveries missing, duplicated or out of order, subscribers dropped, or connection errors (see above)');
      return 1;
    }
    return 0;
  } finally {
    log('stopping the clients and the platform');
    await cleanUp();
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
}
// Everything this run started is stopped by now; a stray timer or socket must not keep it alive.
process.exit();
