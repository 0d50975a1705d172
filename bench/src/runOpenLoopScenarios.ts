import { performance } from 'node:perf_hooks';
import type { Sql } from '@novacron/db';
import type { SentMutation } from './checkIntegrity.ts';
import { pauseWorkers } from './pauseWorkers.ts';
import { readPostgresRoles } from './samplePostgresActivity.ts';
import { cpuBetween, snapshotProcessCpu, type RoleCpu } from './snapshotProcessCpu.ts';
import type { LoadResult } from './runLoad.ts';
import { summarizeLatencies, type LatencySummary } from './summarizeLatencies.ts';
import { readTopStatements, resetStatementStats, type StatementStats } from './readTopStatements.ts';
import { waitForOperationsTerminal } from './waitForOperationsTerminal.ts';
import { monotonicMicros } from './writeProfilePhases.ts';

/** What the open-loop scenarios (issue 14) run. */
export interface OpenLoopOptions {
  /** The sustained phase: createVM due at this rate for this long, workers executing meanwhile. */
  rate: number;
  seconds: number;
  /** Rates tried, lowest first, each for `stepSeconds`, to find the highest with accept p95 ≤ 50 ms. */
  searchRates: number[];
  stepSeconds: number;
  /** createVM sent by the closed-loop clients while the workers are frozen. */
  burstCount: number;
  /** Offered load of the overload phase, as a multiple of the highest rate that met p95 ≤ 50 ms. */
  overloadFactor: number;
  overloadSeconds: number;
  /** The overload phase's rate when given; otherwise `overloadFactor` × the highest passing rate. */
  overloadRate?: number | undefined;
  /** Upper bound of the simulated provider latency (ms): an operation is late when it takes 5 s more. */
  simLatencyMaxMs: number;
  /** Read pg_stat_statements over the burst (the accept path's statements alone). */
  statementStats?: boolean;
}

/** One open-loop phase's figures. */
export interface OpenLoopPhase {
  label: string;
  offeredPerSecond: number;
  sent: number;
  accepted: number;
  acceptedPerSecond: number;
  latency: LatencySummary;
  /** Refused with OVERLOADED, and how fast the refusals came back. */
  overloaded: number;
  overloadedLatency: LatencySummary | null;
  otherErrors: number;
  errorSamples: [string, number][];
  /** Active (QUEUED + RUNNING) operations sampled every 5 s during the phase. */
  backlog: number[];
  /** Operations of the phase that took longer than the simulated latency + 5 s to become terminal. */
  late: number | null;
  /** created → finished of the phase's operations, seconds. */
  terminalSeconds: { p50: number; p95: number; max: number } | null;
}

/** What {@link runOpenLoopScenarios} found. */
export interface OpenLoopResults {
  sustained: OpenLoopPhase;
  search: OpenLoopPhase[];
  /** Highest searched rate whose accept p95 was ≤ 50 ms (0: none). */
  highestRateMeetingP95: number;
  burst: OpenLoopPhase & { pausedWorkers: number; cpuPerAcceptedMs: number; /** CPU ÷ every answered request (refusals included). */ cpuPerAnsweredMs: number; cpuByRole: RoleCpu[]; otherPercentOfCore: number; /** Monotonic µs (V8 profiles' clock), for `--cpu-prof`'s burst phase. */ window: { fromUs: number; toUs: number }; topStatements?: StatementStats[] };
  /** CPU per executed create: worker + its Postgres backends over the sustained phase and its drain, ÷ its accepted operations. */
  executeCpuPerOperationMs: number;
  /** CPU of every process over the sustained phase and its drain, ÷ its accepted operations (accept + execute). */
  totalCpuPerOperationMs: number;
  overload: OpenLoopPhase;
}

type RunCreateVms = (prefix: string, count: number, rate?: number) => Promise<{ load: LoadResult<string>; sent: SentMutation[] }>;

interface ScenarioContext {
  sql: Sql;
  runCreateVms: RunCreateVms;
  /** Records a phase's mutations for the final integrity check and returns the accepted total so far. */
  record(sent: SentMutation[]): number;
  log(line: string): void;
}

const isOverloaded = (message: string) => message.startsWith('OVERLOADED');

async function activeOperations(sql: Sql): Promise<number> {
  const [row] = await sql<{ count: number }[]>`select count(*)::int as count from vms.operations where status in ('QUEUED', 'RUNNING')`;
  return row?.count ?? 0;
}

async function phase(context: ScenarioContext, options: OpenLoopOptions, label: string, prefix: string, count: number, rate: number | undefined): Promise<OpenLoopPhase> {
  const backlog: number[] = [];
  const sampler = setInterval(() => void activeOperations(context.sql).then((count) => backlog.push(count), () => {}), 5_000);
  const { load, sent } = await context.runCreateVms(prefix, count, rate).finally(() => clearInterval(sampler));
  backlog.push(await activeOperations(context.sql));
  const acceptedTotal = context.record(sent);
  const overloaded = [...load.errorSamples].filter(([message]) => isOverloaded(message)).reduce((sum, [, n]) => sum + n, 0);
  context.log(`${label}: ${load.latenciesMs.length} accepted, ${overloaded} OVERLOADED, ${load.failedIndexes.length - overloaded} other errors; draining`);
  await waitForOperationsTerminal(context.sql, { expected: acceptedTotal, since: load.startedAt, timeoutMs: 600_000, log: (line) => context.log(`${label} drain ${line}`) });
  const ids = sent.flatMap((mutation) => (mutation.operationId ? [mutation.operationId] : []));
  const [timing] = ids.length
    ? await context.sql<{ p50: number; p95: number; max: number; late: number }[]>`
        select percentile_cont(0.5) within group (order by s) as p50, percentile_cont(0.95) within group (order by s) as p95, max(s) as max,
               count(*) filter (where s > ${options.simLatencyMaxMs / 1000 + 5})::int as late
        from (select extract(epoch from finished_at - created_at)::float8 as s from vms.operations where id = any(${ids}::uuid[])) t`
    : [];
  const wallSeconds = load.wallMs / 1000;
  return {
    label,
    offeredPerSecond: rate ?? count / wallSeconds,
    sent: count,
    accepted: load.latenciesMs.length,
    acceptedPerSecond: load.latenciesMs.length / wallSeconds,
    latency: summarizeLatencies(load.latenciesMs),
    overloaded,
    overloadedLatency: overloaded ? summarizeLatencies(load.failedLatenciesMs) : null,
    otherErrors: load.failedIndexes.length - overloaded,
    errorSamples: [...load.errorSamples],
    backlog,
    late: timing ? timing.late : null,
    terminalSeconds: timing ? { p50: timing.p50, p95: timing.p95, max: timing.max } : null,
  };
}

/**
 * The open-loop createVM scenarios of issue 14, after the closed-loop phase: a sustained rate with
 * the workers executing, a search for the highest rate meeting accept p95 ≤ 50 ms, a burst with the
 * workers frozen (accepting alone), and twice the sustainable rate (admission control's refusals).
 */
export async function runOpenLoopScenarios(context: ScenarioContext, options: OpenLoopOptions): Promise<OpenLoopResults> {
  context.log(`open loop: ${options.rate}/s for ${options.seconds} s with workers executing`);
  const sustainedStart = snapshotProcessCpu(await readPostgresRoles(context.sql));
  const sustained = await phase(context, options, `open loop ${options.rate}/s`, 'sustained', options.rate * options.seconds, options.rate);
  const sustainedCpu = cpuBetween(sustainedStart, snapshotProcessCpu(await readPostgresRoles(context.sql)));
  const executing = sustainedCpu.roles.filter((role) => role.role === 'worker' || role.role.includes('worker') || role.role.includes('graphile')).reduce((sum, role) => sum + role.cpuSeconds, 0);
  const platformCpu = sustainedCpu.roles.filter((role) => !role.role.startsWith('bench')).reduce((sum, role) => sum + role.cpuSeconds, 0);

  const search: OpenLoopPhase[] = [];
  let highestRateMeetingP95 = 0;
  for (const rate of options.searchRates) {
    context.log(`rate search: ${rate}/s for ${options.stepSeconds} s`);
    const step = await phase(context, options, `search ${rate}/s`, `search${rate}`, rate * options.stepSeconds, rate);
    search.push(step);
    if (step.latency.p95 > 50 || step.overloaded + step.otherErrors > 0) break;
    highestRateMeetingP95 = rate;
  }

  const paused = pauseWorkers();
  context.log(`burst: ${options.burstCount} createVM with ${paused.pids.length} worker process(es) frozen`);
  let burst: OpenLoopResults['burst'];
  const burstStarted = performance.now();
  if (options.statementStats) await resetStatementStats(context.sql);
  const burstCpuStart = snapshotProcessCpu(await readPostgresRoles(context.sql));
  try {
    const fromUs = monotonicMicros();
    const { load, sent } = await context.runCreateVms('burst', options.burstCount);
    const toUs = monotonicMicros();
    const burstCpu = cpuBetween(burstCpuStart, snapshotProcessCpu(await readPostgresRoles(context.sql)));
    const topStatements = options.statementStats ? await readTopStatements(context.sql, 25) : undefined;
    const acceptCpu = burstCpu.roles.filter((role) => !role.role.startsWith('bench')).reduce((sum, role) => sum + role.cpuSeconds, 0);
    context.record(sent);
    const overloaded = [...load.errorSamples].filter(([message]) => isOverloaded(message)).reduce((sum, [, n]) => sum + n, 0);
    burst = {
      label: 'burst, workers frozen',
      offeredPerSecond: options.burstCount / (load.wallMs / 1000),
      sent: options.burstCount,
      accepted: load.latenciesMs.length,
      acceptedPerSecond: load.latenciesMs.length / (load.wallMs / 1000),
      latency: summarizeLatencies(load.latenciesMs),
      overloaded,
      overloadedLatency: overloaded ? summarizeLatencies(load.failedLatenciesMs) : null,
      otherErrors: load.failedIndexes.length - overloaded,
      errorSamples: [...load.errorSamples],
      backlog: [await activeOperations(context.sql)],
      late: null,
      terminalSeconds: null,
      pausedWorkers: paused.pids.length,
      cpuPerAcceptedMs: (acceptCpu * 1000) / Math.max(1, load.latenciesMs.length),
      cpuPerAnsweredMs: (acceptCpu * 1000) / Math.max(1, load.latenciesMs.length + load.failedLatenciesMs.length),
      cpuByRole: burstCpu.roles,
      otherPercentOfCore: burstCpu.otherPercentOfCore,
      window: { fromUs, toUs },
      ...(topStatements ? { topStatements } : {}),
    };
  } finally {
    paused.resume();
  }
  context.log(`burst done in ${((performance.now() - burstStarted) / 1000).toFixed(1)} s; workers resumed, draining`);
  await waitForOperationsTerminal(context.sql, { expected: 0, since: performance.now(), timeoutMs: 600_000, log: (line) => context.log(`burst drain ${line}`) }).catch(() => undefined);

  const overloadRate = options.overloadRate ?? Math.max(1, Math.round((highestRateMeetingP95 || options.rate) * options.overloadFactor));
  context.log(`overload: ${overloadRate}/s (${options.overloadRate ? 'given' : `${options.overloadFactor} × ${highestRateMeetingP95 || options.rate}/s`}) for ${options.overloadSeconds} s`);
  const overload = await phase(context, options, `overload ${overloadRate}/s`, 'overload', overloadRate * options.overloadSeconds, overloadRate);
  const perSustained = (seconds: number) => (seconds * 1000) / Math.max(1, sustained.accepted);
  return { sustained, search, highestRateMeetingP95, burst, overload, executeCpuPerOperationMs: perSustained(executing), totalCpuPerOperationMs: perSustained(platformCpu) };
}

const ms = (value: number) => value.toFixed(1);

/** OVERLOADED refusals of a phase that came as HTTP 503 with `Retry-After` (runLoad appends both to the message). */
const withRetryAfter = (phase: OpenLoopPhase) =>
  phase.errorSamples.filter(([message]) => isOverloaded(message) && message.includes('[HTTP 503, Retry-After ')).reduce((sum, [, n]) => sum + n, 0);

/** The scenarios as markdown rows for docs/benchmarks.md, next to the same run's baseline p95. */
export function formatOpenLoopMarkdown(results: OpenLoopResults, baselineP95Ms: number): string {
  const rows = [results.sustained, ...results.search, results.burst, results.overload].map((p) =>
    [
      p.label,
      Math.round(p.offeredPerSecond),
      p.sent,
      p.accepted,
      Math.round(p.acceptedPerSecond),
      ms(p.latency.p50),
      ms(p.latency.p95),
      ms(p.latency.p99),
      `${(p.latency.p95 / baselineP95Ms).toFixed(1)} ×`,
      p.overloaded ? `${p.overloaded} (p95 ${ms(p.overloadedLatency?.p95 ?? 0)} ms)` : '0',
      p.otherErrors,
      p.backlog.join(' → '),
      p.terminalSeconds ? `${p.terminalSeconds.p50.toFixed(1)} / ${p.terminalSeconds.p95.toFixed(1)} / ${p.terminalSeconds.max.toFixed(1)}` : '–',
      p.late ?? '–',
    ].join(' | '),
  );
  return [
    `| Phase | offered/s | sent | accepted | accepted/s | p50 ms | p95 ms | p99 ms | p95 ÷ baseline p95 | OVERLOADED | other errors | backlog (every 5 s) | terminal after s p50/p95/max | late (> sim + 5 s) |`,
    `|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---|---:|`,
    ...rows.map((row) => `| ${row} |`),
    '',
    `CPU per accepted createVM with the workers frozen (every platform process incl. Postgres, load generator excluded): **${results.burst.cpuPerAcceptedMs.toFixed(2)} ms**` +
      `${results.burst.overloaded ? ` (${results.burst.overloaded} refused: ${results.burst.cpuPerAnsweredMs.toFixed(2)} ms per answered request, refusals included; run with \`--admission off\` for the accept cost)` : ''}` +
      ` (outside the bench: ${Math.round(results.burst.otherPercentOfCore)} % of a core). ` +
      `In the sustained phase and its drain: execution (worker + its Postgres backends + graphile-worker's pool) **${results.executeCpuPerOperationMs.toFixed(2)} ms** per operation, everything **${results.totalCpuPerOperationMs.toFixed(2)} ms** per accepted and executed create.`,
    '',
    `| Role (burst, workers frozen) | CPU s | ms per accepted createVM | % of one core |`,
    `|---|---:|---:|---:|`,
    ...results.burst.cpuByRole
      .filter((role) => role.cpuSeconds >= 0.01)
      .map((role) => `| ${role.role} | ${role.cpuSeconds.toFixed(2)} | ${((role.cpuSeconds * 1000) / Math.max(1, results.burst.accepted)).toFixed(2)} | ${Math.round(role.percentOfCore)} % |`),
    '',
    `Overload phase refusals: ${results.overload.overloaded} OVERLOADED, of which ${withRetryAfter(results.overload)} answered HTTP 503 with \`Retry-After\`; refusal latency p50 / p95 / p99 ${
      results.overload.overloadedLatency ? `${ms(results.overload.overloadedLatency.p50)} / ${ms(results.overload.overloadedLatency.p95)} / ${ms(results.overload.overloadedLatency.p99)} ms` : '–'
    } (from when each request was due).`,
    '',
    `Highest searched rate with accept p95 ≤ 50 ms: **${results.highestRateMeetingP95 || 'none'}${results.highestRateMeetingP95 ? '/s' : ''}**; burst accept rate with ${results.burst.pausedWorkers} worker process(es) frozen: **${Math.round(results.burst.acceptedPerSecond)}/s**.`,
  ].join('\n');
}
