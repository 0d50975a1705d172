/**
 * createVM throughput benchmark (the foundation issue's target): N `createVM` mutations from C
 * concurrent clients through the gateway, against the simulated provider with 1–3 s latency.
 * Prints mutation latency p50/p95/p99 next to a cheap-query baseline through the same gateway,
 * accepted mutations/s, the time until every operation is terminal, and lost or duplicated
 * operations/VMs/instances (exit 1 if any). See README.md for flags; `--help` lists them.
 *
 * Phases: start Postgres + `scripts/start.ts` → warm up → baseline queries → measured mutations
 * → wait until all operations are terminal → integrity check → report.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { cpus, release, totalmem, type } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { BenchResults, MachineInfo, PhaseFigures } from './src/BenchResults.ts';
import { checkIntegrity, hasLossOrDuplication, type SentMutation } from './src/checkIntegrity.ts';
import { formatMarkdown, formatResultsTable } from './src/formatReport.ts';
import { latencyWindows } from './src/latencyWindows.ts';
import { parseBenchOptions } from './src/parseBenchOptions.ts';
import { runLoad, type LoadResult } from './src/runLoad.ts';
import { formatOpenLoopMarkdown, runOpenLoopScenarios, type OpenLoopResults } from './src/runOpenLoopScenarios.ts';
import { readTopStatements, resetStatementStats } from './src/readTopStatements.ts';
import { snapshotTableWrites, tableWritesBetween } from './src/readTableWrites.ts';
import { readPostgresRoles, samplePostgresActivity } from './src/samplePostgresActivity.ts';
import { cpuBetween, snapshotProcessCpu } from './src/snapshotProcessCpu.ts';
import { startBenchPlatform, type BenchPlatform } from './src/startBenchPlatform.ts';
import { summarizeLatencies } from './src/summarizeLatencies.ts';
import { waitForOperationsTerminal } from './src/waitForOperationsTerminal.ts';
import { monotonicMicros, writeProfilePhases } from './src/writeProfilePhases.ts';

const createVmMutation =
  'mutation CreateVM($input: CreateVMInput!, $idempotencyKey: String) { createVM(input: $input, idempotencyKey: $idempotencyKey) { id status } }';
const providersQuery = 'query Providers { providers { name } }';
const typenameQuery = 'query Typename { __typename }';
/** Opens each client's connection before a phase is timed; answered by the gateway alone. */
const primeBody = JSON.stringify({ query: typenameQuery });

const log = (line: string) => process.stdout.write(`[bench] ${line}\n`);
const options = parseBenchOptions(process.argv.slice(2));
const runId = randomBytes(4).toString('hex');

/** Request bodies for createVM `index` of a phase; names and keys are unique per request. */
function createVmBody(prefix: string, index: number): string {
  return JSON.stringify({
    operationName: 'CreateVM',
    query: createVmMutation,
    variables: {
      input: { name: `${prefix}-${index}`, provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', image: 'ubuntu-24.04' },
      idempotencyKey: `${runId}-${prefix}-${index}`,
    },
  });
}

function graphQLError(payload: unknown): Error | undefined {
  const errors = (payload as { errors?: { message?: string; extensions?: { code?: string } }[] }).errors;
  if (!errors || errors.length === 0) return undefined;
  return new Error(errors.map((error) => `${error.extensions?.code ?? 'ERROR'}: ${error.message ?? ''}`).join('; '));
}

function acceptCreateVm(payload: unknown): string | Error {
  const error = graphQLError(payload);
  if (error) return error;
  const operation = (payload as { data?: { createVM?: { id?: unknown; status?: unknown } } }).data?.createVM;
  if (typeof operation?.id !== 'string') return new Error(`no operation id in ${JSON.stringify(payload).slice(0, 200)}`);
  return operation.id;
}

function acceptQuery(payload: unknown): true | Error {
  return graphQLError(payload) ?? ((payload as { data?: unknown }).data ? true : new Error('no data'));
}

async function runCreateVms(
  platform: BenchPlatform,
  prefix: string,
  count: number,
  ratePerSecond?: number,
): Promise<{ load: LoadResult<string>; sent: SentMutation[] }> {
  const load = await runLoad({
    url: platform.gatewayUrl,
    count,
    concurrency: options.concurrency,
    headers: platform.requestHeaders,
    ...(ratePerSecond === undefined ? {} : { ratePerSecond }),
    requestTimeoutMs: options.requestTimeoutMs,
    body: (index) => createVmBody(prefix, index),
    accept: acceptCreateVm,
    primeBody,
  });
  const sent = Array.from({ length: count }, (_, index) => ({
    idempotencyKey: `${runId}-${prefix}-${index}`,
    name: `${prefix}-${index}`,
    operationId: load.outcomes[index] ?? null,
  }));
  return { load, sent };
}

function runQueries(platform: BenchPlatform, query: string, count: number): Promise<LoadResult<true>> {
  const body = JSON.stringify({ query });
  return runLoad({
    url: platform.gatewayUrl,
    count,
    concurrency: options.concurrency,
    headers: platform.requestHeaders,
    requestTimeoutMs: options.requestTimeoutMs,
    body: () => body,
    accept: acceptQuery,
    primeBody,
  });
}

function phaseFigures(label: string, sent: number, load: LoadResult<unknown>): PhaseFigures {
  const wallSeconds = load.wallMs / 1000;
  return {
    label,
    latency: summarizeLatencies(load.latenciesMs),
    sent,
    accepted: load.latenciesMs.length,
    errors: load.failedIndexes.length,
    errorSamples: [...load.errorSamples],
    wallSeconds,
    acceptedPerSecond: load.latenciesMs.length / wallSeconds,
  };
}

/** `abc1234`, or `abc1234 + uncommitted changes` when files outside bench/ differ from it. */
function revision(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: new URL('..', import.meta.url), encoding: 'utf8' }).trim();
    const dirty = git('status', '--porcelain', '--', '.', ':(exclude)bench', ':(exclude)docs/benchmarks.md') !== '';
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted changes' : ''}`;
  } catch {
    return 'unknown';
  }
}

function baselineLoadP95(load: LoadResult<unknown>): number {
  return summarizeLatencies(load.latenciesMs).p95;
}

async function machineInfo(platform: BenchPlatform): Promise<MachineInfo> {
  const [row] = await platform.sql<{ version: string }[]>`select current_setting('server_version') as version`;
  const processors = cpus();
  return {
    cpuCount: processors.length,
    cpuModel: processors[0]?.model.trim() ?? 'unknown',
    memoryGiB: totalmem() / 1024 ** 3,
    os: `${type()} ${release()}`,
    node: process.version,
    postgres: `PostgreSQL ${row?.version ?? '?'}`,
  };
}

/**
 * Free ports are picked before the platform binds them; on a machine shared with other test runs one
 * is sometimes taken in between (EADDRINUSE), so a start that failed that way is tried again.
 */
async function startPlatformRetryingPortRaces(attempts = 3): Promise<BenchPlatform> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startBenchPlatform({
        ...options,
        // A history fills the one simulated region the bench creates in past its default capacity (100,000).
        ...(options.history > 0 ? { simCapacityPerRegion: 10_000_000 } : {}),
        log: (line) => process.stdout.write(`[platform] ${line}\n`),
      });
    } catch (error) {
      if (attempt >= attempts || !String(error instanceof Error ? error.message : error).includes('EADDRINUSE')) throw error;
      log(`a port was taken while the platform started (EADDRINUSE); starting again (${attempt + 1} of ${attempts})`);
    }
  }
}

async function main(): Promise<number> {
  log(
    `starting Postgres and the platform (workers ${options.workerProcesses} × ${options.workerConcurrency}, SIM_LATENCY_MS=${options.simLatencyMs}${options.cpuProfileDir ? `, CPU profiles in ${options.cpuProfileDir}` : ''})`,
  );
  const platform = await startPlatformRetryingPortRaces();
  let stopping = false;
  const interrupt = () => {
    if (stopping) return;
    stopping = true;
    log('interrupted; stopping the platform');
    void platform.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    log(`ready: ${platform.gatewayUrl}`);
    const machine = await machineInfo(platform);
    const allSent: SentMutation[] = [];

    if (options.history > 0) {
      log(`history: ${options.history} × createVM (closed loop, workers executing), then VACUUM ANALYZE`);
      const history = await runCreateVms(platform, 'history', options.history);
      allSent.push(...history.sent);
      if (history.load.failedIndexes.length > 0) log(`history createVM errors: ${JSON.stringify([...history.load.errorSamples])}`);
      await waitForOperationsTerminal(platform.sql, {
        expected: history.load.latenciesMs.length,
        since: performance.now(),
        timeoutMs: options.drainTimeoutSeconds * 1000,
        log: (line) => log(`history drain ${line}`),
      });
      await platform.sql.unsafe('vacuum analyze');
    }

    log(`warm-up: ${options.warmup} × { providers }, { __typename } and createVM`);
    await runQueries(platform, providersQuery, options.warmup);
    await runQueries(platform, typenameQuery, options.warmup);
    const warmup = await runCreateVms(platform, 'warmup', options.warmup);
    allSent.push(...warmup.sent);
    if (warmup.load.failedIndexes.length > 0) log(`warm-up createVM errors: ${JSON.stringify([...warmup.load.errorSamples])}`);
    // Let the warm-up operations finish so their work does not overlap the baseline.
    await waitForOperationsTerminal(platform.sql, {
      expected: warmup.load.latenciesMs.length,
      since: performance.now(),
      timeoutMs: 120_000,
      log: (line) => log(`warm-up drain ${line}`),
    });

    log(`baseline: ${options.baselineCount} × { providers { name } } and ${options.baselineCount} × { __typename }, ${options.concurrency} clients`);
    const baselineStart = snapshotProcessCpu(await readPostgresRoles(platform.sql));
    const baselineFromUs = monotonicMicros();
    const baselineLoad = await runQueries(platform, providersQuery, options.baselineCount);
    const typenameLoad = await runQueries(platform, typenameQuery, options.baselineCount);
    const baselineToUs = monotonicMicros();
    const baselineEnd = snapshotProcessCpu(await readPostgresRoles(platform.sql));

    const loopDescription = options.rate === undefined ? `${options.concurrency} closed-loop clients` : `open loop at ${options.rate}/s, ≤ ${options.concurrency} in flight`;
    log(`measuring: ${options.count} × createVM, ${loopDescription}`);
    if (options.statementStats) await resetStatementStats(platform.sql);
    const tableWritesBefore = await snapshotTableWrites(platform.sql, 2_000);
    const sampler = samplePostgresActivity(platform.sql);
    const mutationStart = snapshotProcessCpu(await readPostgresRoles(platform.sql));
    const generatorBefore = process.cpuUsage();
    const mutationsFromUs = monotonicMicros();
    const measured = await runCreateVms(platform, 'bench', options.count, options.rate);
    const mutationsToUs = monotonicMicros();
    const generatorUsage = process.cpuUsage(generatorBefore);
    const postgresRoles = await readPostgresRoles(platform.sql);
    const mutationEnd = snapshotProcessCpu(postgresRoles);
    const activity = await sampler.stop();
    const topStatements = options.statementStats ? await readTopStatements(platform.sql) : undefined;
    if (options.statementStats) await resetStatementStats(platform.sql);
    allSent.push(...measured.sent);
    const mutations = {
      ...phaseFigures(options.rate === undefined ? 'createVM' : `createVM @ ${options.rate}/s`, options.count, measured.load),
      windows: latencyWindows(measured.load.acceptedAtMs, measured.load.latenciesMs, 5),
    };
    log(`mutations done: ${mutations.accepted} accepted, ${mutations.errors} errors in ${mutations.wallSeconds.toFixed(1)} s; waiting for operations`);

    const acceptedTotal = allSent.filter((mutation) => mutation.operationId !== null).length;
    const drain = await waitForOperationsTerminal(platform.sql, {
      expected: acceptedTotal,
      since: measured.load.startedAt,
      timeoutMs: options.drainTimeoutSeconds * 1000,
      log: (line) => log(`drain ${line}`),
    });
    const drainToUs = monotonicMicros();
    const topDrainStatements = options.statementStats ? await readTopStatements(platform.sql) : undefined;
    const drainEnd = snapshotProcessCpu(await readPostgresRoles(platform.sql).catch(() => postgresRoles));
    const tableWrites = tableWritesBetween(tableWritesBefore, await snapshotTableWrites(platform.sql, 2_000));
    if (options.cpuProfileDir) {
      await writeProfilePhases(options.cpuProfileDir, drainEnd, {
        baseline: { fromUs: baselineFromUs, toUs: baselineToUs },
        mutations: { fromUs: mutationsFromUs, toUs: mutationsToUs },
        drain: { fromUs: mutationsToUs, toUs: drainToUs },
      });
    }
    log(drain.drained ? `all operations terminal ${(drain.elapsedMs / 1000).toFixed(1)} s after the first mutation` : 'gave up waiting for operations');

    let openLoop: OpenLoopResults | undefined;
    if (options.openLoop) {
      openLoop = await runOpenLoopScenarios(
        {
          sql: platform.sql,
          runCreateVms: (prefix, count, rate) => runCreateVms(platform, prefix, count, rate),
          record: (sent) => {
            allSent.push(...sent);
            return allSent.filter((mutation) => mutation.operationId !== null).length;
          },
          log,
        },
        {
          rate: options.openRate,
          seconds: options.openSeconds,
          searchRates: options.searchRates,
          stepSeconds: options.searchStepSeconds,
          burstCount: options.burstCount,
          overloadFactor: options.overloadFactor,
          overloadSeconds: options.overloadSeconds,
          overloadRate: options.overloadRate,
          simLatencyMaxMs: Number(options.simLatencyMs.split('-').at(-1)),
          statementStats: options.statementStats,
        },
      );
      if (options.cpuProfileDir) {
        await writeProfilePhases(options.cpuProfileDir, drainEnd, {
          baseline: { fromUs: baselineFromUs, toUs: baselineToUs },
          mutations: { fromUs: mutationsFromUs, toUs: mutationsToUs },
          drain: { fromUs: mutationsToUs, toUs: drainToUs },
          burst: openLoop.burst.window,
        });
      }
      if (openLoop.burst.topStatements) {
        process.stdout.write(`\ntop statements of the burst (pg_stat_statements, ${openLoop.burst.accepted} accepted):\n`);
        for (const s of openLoop.burst.topStatements) process.stdout.write(`${String(s.calls).padStart(7)} calls ${s.totalMs.toFixed(0).padStart(7)} ms ${s.meanMs.toFixed(3).padStart(8)} ms/call  ${s.query}\n`);
      }
      process.stdout.write(`\n--- open loop (markdown) ---\n${formatOpenLoopMarkdown(openLoop, baselineLoadP95(baselineLoad))}\n--- end open loop ---\n`);
    }

    const integrity = await checkIntegrity(platform.sql, allSent);
    const { verbose: _verbose, jsonPath: _jsonPath, ...reportedOptions } = options;
    const results: BenchResults = {
      date: new Date().toISOString(),
      command: `node bench/createVmThroughput.ts ${process.argv.slice(2).join(' ')}`.trim(),
      revision: revision(),
      machine,
      options: reportedOptions,
      gatewayOnly: phaseFigures('{ __typename }', options.baselineCount, typenameLoad),
      baseline: phaseFigures('{ providers { name } }', options.baselineCount, baselineLoad),
      mutations,
      loadGeneratorCpuSeconds: (generatorUsage.user + generatorUsage.system) / 1e6,
      drain: { ...drain, afterLastMutationSeconds: (drain.elapsedMs - (measured.load.finishedAt - measured.load.startedAt)) / 1000 },
      integrity,
      cpu: { baseline: cpuBetween(baselineStart, baselineEnd), mutations: cpuBetween(mutationStart, mutationEnd), drain: cpuBetween(mutationEnd, drainEnd) },
      postgresActivity: { sampleCount: activity.sampleCount, top: activity.activity.slice(0, 12) },
      tableWrites,
      ...(topStatements && topDrainStatements ? { topStatements: { mutations: topStatements, drain: topDrainStatements } } : {}),
      platformLogLines: platform.logLineCount(),
      ...(openLoop ? { openLoop } : {}),
    };
    process.stdout.write(`${formatResultsTable(results)}\n\n--- markdown ---\n${formatMarkdown(results)}\n--- end markdown ---\n`);
    if (options.jsonPath) await writeFile(options.jsonPath, `${JSON.stringify(results, null, 2)}\n`);

    if (hasLossOrDuplication(integrity)) {
      log('FAILED: lost or duplicated operations, VMs or instances (see integrity above)');
      return 1;
    }
    if (!drain.drained || mutations.errors > 0) {
      log('FAILED: mutation errors or operations that never became terminal (see above)');
      return 2;
    }
    return 0;
  } finally {
    if (!stopping) {
      stopping = true;
      log('stopping the platform');
      await platform.stop();
    }
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
}
