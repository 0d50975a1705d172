import type { BenchResults, PhaseFigures } from './BenchResults.ts';
import type { TableWrites } from './readTableWrites.ts';
import type { StatementStats } from './readTopStatements.ts';
import type { CpuInterval } from './snapshotProcessCpu.ts';

/** The issue's targets on 2 cores. */
export const targets = { p95Ms: 50, acceptedPerSecond: 500 } as const;

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : '–');
const seconds = (value: number) => `${value.toFixed(1)} s`;
const pad = (text: string, width: number) => text.padStart(width);

function latencyRow(phase: PhaseFigures): string {
  const { latency } = phase;
  return [
    phase.label.padEnd(26),
    pad(integer.format(phase.sent), 7),
    pad(ms(latency.p50), 8),
    pad(ms(latency.p95), 8),
    pad(ms(latency.p99), 8),
    pad(ms(latency.max), 8),
    pad(integer.format(phase.acceptedPerSecond), 8),
    pad(integer.format(phase.errors), 7),
  ].join(' ');
}

function cpuRows(interval: CpuInterval, perRequests?: number): string[] {
  const rows = interval.roles.map((role) => {
    const perRequest = perRequests ? `${((role.cpuSeconds * 1000) / perRequests).toFixed(2).padStart(7)} ms/req` : '';
    // Summed RSS of Postgres backends counts shared buffers once per backend: meaningless, so left out.
    const rss = role.role.startsWith('postgres') ? '' : `${role.rssMb.toFixed(0)} MB`;
    const kernel = role.cpuSeconds > 0 ? `${pad(((role.systemSeconds * 100) / role.cpuSeconds).toFixed(0), 3)} % sys` : '';
    return `    ${role.role.padEnd(40)} ${pad(role.cpuSeconds.toFixed(1), 7)} s ${pad(role.percentOfCore.toFixed(0), 5)} %  ${kernel.padStart(9)}  ${pad(rss, 8)} ${perRequest}`;
  });
  rows.push(
    `    ${'whole machine busy'.padEnd(40)} ${pad('', 7)}   ${pad(interval.machinePercentOfCore.toFixed(0), 5)} %  (kernel ${interval.machineKernelPercentOfCore.toFixed(0)} %, outside the bench ${interval.otherPercentOfCore.toFixed(0)} %, steal ${interval.machineStealPercentOfCore.toFixed(0)} %)`,
  );
  return rows;
}

/**
 * The run's background settings as `NAME=value` pairs: BACKGROUND_CGROUP from the option, else (as
 * BACKGROUND_PROCESSES always) what the bench's environment passed on to the platform.
 */
function backgroundSettings(options: BenchResults['options']): string[] {
  return [`BACKGROUND_CGROUP=${options.backgroundCgroup ?? (process.env.BACKGROUND_CGROUP?.trim() || 'unset')}`, `BACKGROUND_PROCESSES=${process.env.BACKGROUND_PROCESSES?.trim() || '0'}`];
}

function loadShape(options: BenchResults['options']): string {
  return options.rate === undefined
    ? `from ${options.concurrency} closed-loop clients`
    : `in an open loop at ${options.rate}/s (≤ ${options.concurrency} in flight; latency from when each was due)`;
}

/** CPU the worker side (worker processes and the Postgres backends serving them) spent per measured operation. */
export function executionCpuPerOperationMs(results: BenchResults): number {
  const isExecution = (role: string) => role === 'worker' || role === 'postgres ← novacron-vms-worker' || role === 'postgres ← novacron-vms-jobs' || role.startsWith('postgres ← (no app name');
  let cpuSeconds = 0;
  for (const interval of [results.cpu.mutations, results.cpu.drain]) {
    for (const role of interval.roles) if (isExecution(role.role)) cpuSeconds += role.cpuSeconds;
  }
  return (cpuSeconds * 1000) / Math.max(1, results.mutations.accepted);
}

function statementRows(phase: string, statements: readonly StatementStats[]): string[] {
  return [
    '',
    `Top statements of the ${phase} (pg_stat_statements; execution time includes lock waits; planning time apart)`,
    `    ${'total ms'.padStart(9)} ${'calls'.padStart(7)} ${'mean ms'.padStart(8)} ${'plan ms'.padStart(8)} ${'plans'.padStart(7)}  query`,
    ...statements.map(
      (statement) =>
        `    ${pad(integer.format(statement.totalMs), 9)} ${pad(integer.format(statement.calls), 7)} ${pad(statement.meanMs.toFixed(2), 8)} ${pad(integer.format(statement.planMs ?? 0), 8)} ${pad(integer.format(statement.plans ?? 0), 7)}  ${statement.query}`,
    ),
  ];
}

function tableWriteRows(writes: readonly TableWrites[], operations: number): string[] {
  if (writes.length === 0) return [];
  const perOperation = (n: number) => (n / Math.max(1, operations)).toFixed(2);
  return [
    '',
    `Rows written over the mutation phase and its drain (pg_stat_user_tables; per op = ÷ ${integer.format(operations)} accepted; HOT = updates that wrote no index entry; autovacuum's ANALYZE and VACUUM runs)`,
    `    ${'table'.padEnd(34)} ${'inserts'.padStart(8)} ${'updates'.padStart(8)} ${'HOT'.padStart(8)} ${'HOT %'.padStart(6)} ${'deletes'.padStart(8)} ${'analyze'.padStart(8)} ${'vacuum'.padStart(7)}  ${'per op: ins/upd/del'}`,
    ...writes.map(
      (w) =>
        `    ${w.table.padEnd(34)} ${pad(integer.format(w.inserts), 8)} ${pad(integer.format(w.updates), 8)} ${pad(integer.format(w.hotUpdates), 8)} ${pad(w.updates > 0 ? ((w.hotUpdates * 100) / w.updates).toFixed(0) : '-', 6)} ${pad(integer.format(w.deletes), 8)} ${pad(integer.format(w.autoAnalyzes), 8)} ${pad(integer.format(w.autoVacuums), 7)}  ${perOperation(w.inserts)}/${perOperation(w.updates)}/${perOperation(w.deletes)}`,
    ),
  ];
}

function history(options: BenchResults['options']): string {
  return options.history > 0 ? `a history of ${integer.format(options.history)} createVM executed and \`VACUUM ANALYZE\`, then ` : '';
}

/** Verdict on the issue's targets. */
export function targetVerdicts(results: BenchResults): { p95: boolean; throughput: boolean } {
  return {
    p95: results.mutations.latency.p95 <= targets.p95Ms,
    throughput: results.mutations.acceptedPerSecond >= targets.acceptedPerSecond,
  };
}

/** The mutation phase's p50 / p95 / max by 5-s window, one window per column group: where its p95 came from. */
function windowLines(phase: PhaseFigures): string[] {
  if (!phase.windows?.length) return [];
  const cells = phase.windows.map((window) => `${String(window.fromSeconds).padStart(3)} s ${ms(window.p50).padStart(6)} ${ms(window.p95).padStart(6)} ${ms(window.max).padStart(6)}`);
  const lines = [`${phase.label} by 5-s window of when each was due: from, p50 / p95 / max ms`];
  for (let start = 0; start < cells.length; start += 4) lines.push(`    ${cells.slice(start, start + 4).join('   │ ')}`);
  return [...lines, ''];
}

/** The human-readable results table printed at the end of a run. */
export function formatResultsTable(results: BenchResults): string {
  const { options, machine, mutations, integrity, drain } = results;
  const verdict = targetVerdicts(results);
  const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const lines = [
    '',
    `═══ createVM throughput — ${results.date} ═══`,
    `revision   ${results.revision}`,
    `machine    ${machine.cpuCount} × ${machine.cpuModel}, ${machine.memoryGiB.toFixed(1)} GiB, ${machine.os}, Node ${machine.node}, ${machine.postgres}${options.autovacuumNaptimeSeconds ? ` (autovacuum_naptime ${options.autovacuumNaptimeSeconds} s)` : ''}`,
    `load       ${integer.format(options.count)} createVM ${loadShape(options)} (after ${history(options)}${options.warmup} warm-up requests per kind)`,
    `platform   scripts/start.ts: gateway + vms subgraph + ${options.workerProcesses} worker process(es) × concurrency ${options.workerConcurrency}, SIM_LATENCY_MS=${options.simLatencyMs}, WORKER_NICE=${options.workerNice ?? '10 (default)'}, ${backgroundSettings(options).join(', ')}`,
    '',
    `${'latency (ms)'.padEnd(26)} ${pad('n', 7)} ${pad('p50', 8)} ${pad('p95', 8)} ${pad('p99', 8)} ${pad('max', 8)} ${pad('ok/s', 8)} ${pad('errors', 7)}`,
    latencyRow(results.gatewayOnly),
    latencyRow(results.baseline),
    latencyRow(mutations),
    '',
    ...windowLines(mutations),
    `createVM p95 / baseline p95         ${(mutations.latency.p95 / results.baseline.latency.p95).toFixed(1)} ×   (baseline = { providers { name } }: gateway + one subgraph hop, no database)`,
    `accepted mutations/s                ${integer.format(mutations.acceptedPerSecond)}   (${integer.format(mutations.accepted)} accepted in ${seconds(mutations.wallSeconds)})`,
    `all operations terminal after       ${drain.drained ? seconds(drain.elapsedMs / 1000) : `NOT DRAINED (gave up at ${seconds(drain.elapsedMs / 1000)})`}   from the first measured mutation; ${seconds(drain.afterLastMutationSeconds)} after the last`,
    `operation execution CPU            ${executionCpuPerOperationMs(results).toFixed(1)} ms per operation (worker process + its Postgres backends, mutation and drain phases)`,
    `load generator CPU                  ${results.loadGeneratorCpuSeconds.toFixed(1)} s during the mutation phase (${((results.loadGeneratorCpuSeconds / mutations.wallSeconds) * 100).toFixed(0)} % of one core) — it shares the machine`,
    '',
    `targets (on 2 cores)                p95 ≤ ${targets.p95Ms} ms: ${mark(verdict.p95)} (${ms(mutations.latency.p95)} ms);  ≥ ${targets.acceptedPerSecond} accepted/s: ${mark(verdict.throughput)} (${integer.format(mutations.acceptedPerSecond)})`,
    ...(options.rate === undefined
      ? [
          `note                                closed loop: mean latency = clients / throughput (Little's law) = ${options.concurrency} / ${integer.format(mutations.acceptedPerSecond)}/s ≈ ${integer.format((options.concurrency * 1000) / mutations.acceptedPerSecond)} ms;`,
          `                                    a ${targets.p95Ms} ms p95 with ${options.concurrency} clients needs > ${integer.format((options.concurrency * 1000) / targets.p95Ms)}/s. --rate measures latency at a fixed arrival rate.`,
        ]
      : []),
    '',
    'integrity (every mutation the bench sent, warm-up included)',
    `    sent ${integer.format(integrity.sent)}, accepted ${integer.format(integrity.accepted)}, operation rows ${integer.format(integrity.operationRows)}, VM rows ${integer.format(integrity.vmRows)}, simulated instances ${integer.format(integrity.instanceRows)}`,
    `    lost operations                 ${integrity.lostOperations}`,
    `    duplicate operation ids returned ${integrity.duplicateReturnedIds}`,
    `    duplicate operations            ${integrity.duplicateOperations}`,
    `    unexpected operations           ${integrity.unexpectedOperations}`,
    `    unacknowledged (failed request, committed) ${integrity.unacknowledgedOperations}`,
    `    duplicate VMs (same name)       ${integrity.duplicateVms}`,
    `    accepted without a VM row       ${integrity.missingVms}`,
    `    duplicate provider instances    ${integrity.duplicateInstances}   (client tokens with > 1 instance)`,
    `    orphan provider instances       ${integrity.orphanInstances}`,
    `    SUCCEEDED without matching instance ${integrity.mismatchedInstances}`,
    `    operations not SUCCEEDED        ${integrity.notSucceeded}   ${JSON.stringify(integrity.operationStatuses)}`,
    `    VM statuses                     ${JSON.stringify(integrity.vmStatuses)}`,
  ];
  if (Object.keys(integrity.failureMessages).length > 0) lines.push(`    failures: ${JSON.stringify(integrity.failureMessages)}`);
  if (mutations.errorSamples.length > 0) lines.push('', 'createVM errors (first distinct messages)', ...mutations.errorSamples.map(([message, count]) => `    ${count} × ${message}`));
  if (!drain.drained) {
    lines.push('', `still active after the drain timeout: ${drain.stuckTotal}`, ...drain.stuck.map((op) => `    ${op.id} ${op.status} attempts=${op.attempts} redrives=${op.redriveCount} lease=${op.leaseOwner ?? '-'} ${op.steps}`));
  }
  lines.push(
    '',
    `CPU during the baseline phase (${seconds(results.cpu.baseline.seconds)}, { providers } + { __typename })`,
    ...cpuRows(results.cpu.baseline),
    '',
    `CPU during the mutation phase (${seconds(results.cpu.mutations.seconds)}; ms/req = CPU per accepted mutation, workers run meanwhile)`,
    ...cpuRows(results.cpu.mutations, mutations.accepted),
    '',
    `CPU from the last mutation until all terminal (${seconds(results.cpu.drain.seconds)})`,
    ...cpuRows(results.cpu.drain),
    '',
    `Postgres activity during the mutation phase (${results.postgresActivity.sampleCount} samples of pg_stat_activity; avg = backends in that state)`,
    ...results.postgresActivity.top.map(
      (entry) =>
        `    ${(entry.samples / Math.max(1, results.postgresActivity.sampleCount)).toFixed(2).padStart(6)}  ${entry.application.padEnd(22)} ${entry.wait.padEnd(26)} ${entry.query}`,
    ),
    ...tableWriteRows(results.tableWrites ?? [], mutations.accepted),
    ...(results.topStatements ? statementRows('mutation phase', results.topStatements.mutations) : []),
    ...(results.topStatements ? statementRows('drain', results.topStatements.drain) : []),
    '',
    `platform log lines (LOG_LEVEL=warn): ${results.platformLogLines}`,
  );
  return lines.join('\n');
}

/** A markdown block for docs/benchmarks.md. */
export function formatMarkdown(results: BenchResults): string {
  const { options, machine, mutations, integrity, drain } = results;
  const verdict = targetVerdicts(results);
  const row = (phase: PhaseFigures) =>
    `| ${phase.label} | ${integer.format(phase.sent)} | ${ms(phase.latency.p50)} | ${ms(phase.latency.p95)} | ${ms(phase.latency.p99)} | ${ms(phase.latency.max)} | ${integer.format(phase.acceptedPerSecond)} | ${phase.errors} |`;
  const cpu = results.cpu.mutations.roles
    .slice(0, 8)
    .map(
      (role) =>
        `| ${role.role} | ${role.cpuSeconds.toFixed(1)} s | ${role.percentOfCore.toFixed(0)} % | ${role.cpuSeconds > 0 ? ((role.systemSeconds * 100) / role.cpuSeconds).toFixed(0) : 0} % | ${((role.cpuSeconds * 1000) / Math.max(1, mutations.accepted)).toFixed(2)} ms |`,
    );
  return [
    `Measured ${results.date} at ${results.revision} with \`${results.command}\``,
    '',
    `- Machine: ${machine.cpuCount} × ${machine.cpuModel}, ${machine.memoryGiB.toFixed(1)} GiB, ${machine.os}, Node ${machine.node}, ${machine.postgres} (embedded, fsync off${options.autovacuumNaptimeSeconds ? `, autovacuum_naptime ${options.autovacuumNaptimeSeconds} s` : ''}).`,
    `- Load: ${integer.format(options.count)} \`createVM\` ${loadShape(options)}, each with its own idempotency key, after ${history(options)}${options.warmup} warm-up requests per kind; the load generator runs on the same machine.`,
    `- Platform: \`scripts/start.ts\` (gateway, vms subgraph, ${options.workerProcesses} worker process(es) × \`WORKER_CONCURRENCY=${options.workerConcurrency}\`), \`SIM_LATENCY_MS=${options.simLatencyMs}\`, \`WORKER_NICE=${options.workerNice ?? 10}\`, ${backgroundSettings(options).map((setting) => `\`${setting}\``).join(', ')}, \`LOG_LEVEL=warn\`.`,
    '',
    '| Requests | n | p50 ms | p95 ms | p99 ms | max ms | accepted/s | errors |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    row(results.gatewayOnly),
    row(results.baseline),
    row(mutations),
    '',
    '| Figure | Value |',
    '|---|---|',
    `| createVM p95 / baseline (\`{ providers { name } }\`) p95 | ${(mutations.latency.p95 / results.baseline.latency.p95).toFixed(1)} × |`,
    `| Accepted mutations/s | ${integer.format(mutations.acceptedPerSecond)} (${integer.format(mutations.accepted)} in ${seconds(mutations.wallSeconds)}) |`,
    `| All operations terminal | ${drain.drained ? seconds(drain.elapsedMs / 1000) : `not drained after ${seconds(drain.elapsedMs / 1000)}`} after the first mutation (${seconds(drain.afterLastMutationSeconds)} after the last) |`,
    `| Lost operations / duplicate operations / duplicate ids returned | ${integrity.lostOperations} / ${integrity.duplicateOperations} / ${integrity.duplicateReturnedIds} |`,
    `| VM rows / duplicate VMs / duplicate provider instances / orphan instances | ${integer.format(integrity.vmRows)} / ${integrity.duplicateVms} / ${integrity.duplicateInstances} / ${integrity.orphanInstances} |`,
    `| Operations not SUCCEEDED | ${integrity.notSucceeded} |`,
    `| Operation execution CPU (worker + its Postgres backends) | ${executionCpuPerOperationMs(results).toFixed(1)} ms per operation |`,
    `| Load generator CPU (mutation phase) | ${results.loadGeneratorCpuSeconds.toFixed(1)} s (${((results.loadGeneratorCpuSeconds / mutations.wallSeconds) * 100).toFixed(0)} % of one core) |`,
    `| Targets: p95 ≤ ${targets.p95Ms} ms / ≥ ${targets.acceptedPerSecond} accepted/s | ${verdict.p95 ? 'met' : '**not met**'} / ${verdict.throughput ? 'met' : '**not met**'} |`,
    '',
    `CPU during the mutation phase (${seconds(results.cpu.mutations.seconds)}; machine busy ${results.cpu.mutations.machinePercentOfCore.toFixed(0)} % of one core, of which kernel ${results.cpu.mutations.machineKernelPercentOfCore.toFixed(0)} %, outside the bench ${results.cpu.mutations.otherPercentOfCore.toFixed(0)} %; steal ${results.cpu.mutations.machineStealPercentOfCore.toFixed(0)} %):`,
    '',
    '| Process | CPU | % of one core | of which kernel | CPU per accepted mutation |',
    '|---|---:|---:|---:|---:|',
    ...cpu,
  ].join('\n');
}
