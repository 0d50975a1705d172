import { fanOutTargets, type FanOutResults, type LatencyBreakdown, type MemoryPoint, type MemorySample, type SettledMemorySample, type SoakTrend } from './FanOutResults.ts';
import type { CpuInterval } from './snapshotProcessCpu.ts';

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(0) : '–');
const pad = (text: string, width: number) => text.padStart(width);
const mark = (met: boolean) => (met ? 'met' : 'MISSED');

/** About one memory point every `everySeconds` of the phase, as `second: RSS/heap used/external` in MB. */
function memoryOverTime(timeline: MemoryPoint[], everySeconds: number): string {
  let next = 0;
  const picked = timeline.filter((point, index) => {
    if (point.second < next && index !== timeline.length - 1) return false;
    next = point.second + everySeconds;
    return true;
  });
  return picked.map((point) => `${point.second.toFixed(0)}s ${point.rssMb.toFixed(0)}/${point.heapUsedMb.toFixed(0)}/${point.externalMb.toFixed(0)}`).join(', ');
}

function soakLine(soak: SoakTrend): string {
  const range = ([min, max]: [number, number]) => `${min.toFixed(0)}–${max.toFixed(0)}`;
  return (
    `RSS ${range(soak.warmupRssMb)} MB in the first ${soak.fromSecond.toFixed(0)} s, ${range(soak.restRssMb)} MB after; heap used ${range(soak.warmupHeapMb)} then ${range(soak.restHeapMb)} MB; ` +
    `trend after ${soak.fromSecond.toFixed(0)} s: RSS ${soak.rssMbPerMinute.toFixed(2)}, heap ${soak.heapMbPerMinute.toFixed(2)}, external ${soak.externalMbPerMinute.toFixed(2)} MB/min; ` +
    `just after each of ${soak.afterCollections.count} major collections RSS ${soak.afterCollections.rssMb.map(([, mb]) => mb.toFixed(0)).join(', ')} MB (median of pairwise slopes ${soak.afterCollections.rssMedianMbPerMinute.toFixed(2)} MB/min, least squares ${soak.afterCollections.rssMbPerMinute.toFixed(2)}), ` +
    `heap ${soak.afterCollections.heapUsedMb.map(([, mb]) => mb.toFixed(0)).join(', ')} MB (${soak.afterCollections.heapMbPerMinute.toFixed(2)} MB/min) (${soak.flat ? 'flat' : 'GROWING'})`
  );
}

/** Whether the run met the issue's targets. */
export function targetVerdicts(results: FanOutResults): { latency: boolean; memory: boolean } {
  return { latency: results.fanOut.latency.p99 <= fanOutTargets.p99Ms, memory: results.memory.rssKbPerConnection <= fanOutTargets.idleKbPerConnection };
}

/** Whether anything was lost, duplicated, reordered, dropped or refused: a correctness failure, not a missed target. */
export function hasDeliveryProblems(results: FanOutResults): boolean {
  const { fanOut, problems } = results;
  return (
    fanOut.missing > 0 ||
    fanOut.unexpected > 0 ||
    fanOut.outOfOrder > 0 ||
    fanOut.slowConsumersDropped > 0 ||
    problems.connectionErrors > 0 ||
    problems.closedUnexpectedly > 0 ||
    problems.errorMessages > 0
  );
}

function settledLine(settled: NonNullable<FanOutResults['memory']['settled']>): string {
  const when = (sample: SettledMemorySample) => `${sample.settled ? 'settled' : 'still moving'} after ${sample.afterSeconds.toFixed(0)} s`;
  return `${settled.rssKbPerConnection.toFixed(1)} KB (JS heap ${settled.heapKbPerConnection.toFixed(1)} KB; RSS ${settled.noClients.rssMb.toFixed(0)} → ${settled.idle.rssMb.toFixed(0)} MB, no clients ${when(settled.noClients)}, all idle ${when(settled.idle)})`;
}

function memoryRow(sample: MemorySample): string {
  return `    ${sample.label.padEnd(34)} ${pad(integer.format(sample.connections), 7)} ${pad(sample.rssMb.toFixed(1), 8)} ${pad(sample.heapUsedMb.toFixed(1), 8)} ${pad(sample.externalMb.toFixed(1), 8)}`;
}

const namedRoles = ['gateway', 'vms subgraph', 'worker', 'supervisor'];

function roleLabel(role: string): string {
  // The process tree's only processes not named by their entry (or as Postgres) are the subscriber clients.
  return namedRoles.includes(role) || role.startsWith('postgres') || role.startsWith('bench') ? role : 'subscriber clients';
}

function cpuRows(interval: CpuInterval): string[] {
  const rows = interval.roles.map((role) => {
    const rss = role.role.startsWith('postgres') ? '' : `${role.rssMb.toFixed(0)} MB`;
    return `    ${roleLabel(role.role).padEnd(44)} ${pad(role.cpuSeconds.toFixed(1), 7)} s ${pad(role.percentOfCore.toFixed(0), 5)} %  ${pad(rss, 8)}`;
  });
  rows.push(
    `    ${'whole machine busy'.padEnd(44)} ${pad('', 7)}   ${pad(interval.machinePercentOfCore.toFixed(0), 5)} %  (kernel ${interval.machineKernelPercentOfCore.toFixed(0)} %, outside the bench ${interval.otherPercentOfCore.toFixed(0)} %, steal ${interval.machineStealPercentOfCore.toFixed(0)} %)`,
  );
  return rows;
}

/** The human-readable results table. */
export function formatFanOutTable(results: FanOutResults): string {
  const { options, fanOut, memory, warmup, problems, spread } = results;
  const verdict = targetVerdicts(results);
  const lines = [
    '',
    `Subscription fan-out — ${results.date} — ${results.revision}`,
    `  machine: ${results.machine.cpuCount} × ${results.machine.cpuModel}, ${results.machine.memoryGiB.toFixed(0)} GiB, ${results.machine.os}, Node ${results.machine.node}, ${results.machine.postgres}`,
    `  ${integer.format(options.subscribers)} subscribers in ${options.clientProcesses} client processes; ${options.vmPool} VMs; ${spread.filteredPerVm.min}–${spread.filteredPerVm.max} filtered subscribers per VM, ${spread.unfiltered} unfiltered; ${spread.groups} shared payload executions (groups); SIM_LATENCY_MS=${options.simLatencyMs}`,
    `  connected and subscribed ${integer.format(results.connect.subscribed)} in ${results.connect.seconds.toFixed(1)} s (${results.connect.failed} failed)`,
    '',
    '  Gateway memory (median of 3 /metrics samples)   conns   RSS MB  heap MB   ext MB',
    ...memory.samples.map(memoryRow),
    memoryRow(memory.afterFanOut),
    ...(memory.settled ? [memoryRow(memory.settled.noClients), memoryRow(memory.settled.idle)] : []),
    `    RSS per idle connection: ${memory.rssKbPerConnection.toFixed(1)} KB (marginal, halfway → full: ${memory.marginalRssKbPerConnection.toFixed(1)} KB; JS heap ${memory.heapKbPerConnection.toFixed(1)} KB; idle gateway CPU ${memory.idleGatewayCpuPercent.toFixed(1)} %)   target ≤ ${fanOutTargets.idleKbPerConnection} KB: ${mark(verdict.memory)}`,
    ...(memory.settled ? [`    RSS per idle connection, both ends settled: ${settledLine(memory.settled)}`] : []),
    '',
    `  Warm-up without subscribers (${warmup.seconds.toFixed(0)} s): ${warmup.eventsPerOperation.toFixed(2)} events per stop/start, ${warmup.eventsPerSecond.toFixed(1)} events/s, gateway CPU ${warmup.gatewayCpuPercent.toFixed(1)} % of a core`,
    '',
    `  Fan-out phase (${fanOut.seconds.toFixed(1)} s recorded, ${fanOut.operationsPerSecond.toFixed(1)} stop/start per s):`,
    `    committed VM events       ${integer.format(fanOut.events)} (${fanOut.eventsPerSecond.toFixed(1)} /s; target ${options.eventsPerSecond} /s)`,
    `    deliveries                ${integer.format(fanOut.delivered)} of ${integer.format(fanOut.expectedDeliveries)} expected (${(fanOut.delivered / fanOut.seconds).toFixed(0)} /s); missing ${fanOut.missing}, unexpected ${fanOut.unexpected}, out of order ${fanOut.outOfOrder}`,
    `    gateway counters          ${integer.format(fanOut.gatewayDeliveries)} deliveries, ${integer.format(fanOut.payloadExecutions)} payload executions, ${fanOut.slowConsumersDropped} slow consumers dropped`,
    `    latency commit→client ms  p50 ${ms(fanOut.latency.p50)}   p95 ${ms(fanOut.latency.p95)}   p99 ${ms(fanOut.latency.p99)}   max ${ms(fanOut.latency.max)}   mean ${fanOut.latency.mean.toFixed(1)}   target p99 ≤ ${fanOutTargets.p99Ms} ms: ${mark(verdict.latency)}`,
    `    latency distribution      ${fanOut.latencyShares.map(([bound, share]) => `≤${bound} ms ${(share * 100).toFixed(1)} %`).join(', ')}`,
    `    latency over time (s: p50/p99 ms) ${fanOut.latencyOverTime.map((slice) => `${slice.fromSecond}s ${ms(slice.p50)}/${ms(slice.p99)}`).join(', ')}`,
    ...(fanOut.breakdown ? breakdownLines(fanOut.breakdown) : []),
    ...(fanOut.lateDeliveries
      ? [
          `    late (> ${fanOutTargets.p99Ms} ms) by second  ${integer.format(fanOut.lateDeliveries.total)} over ${fanOut.lateDeliveries.seconds} s; ${(fanOut.lateDeliveries.shareInWorstFive * 100).toFixed(0)} % in the worst five; worst (s: count) ${fanOut.lateDeliveries.worstSeconds.map(([second, count]) => `${second}:${count}`).join(' ')}`,
        ]
      : []),
    `    gateway CPU               ${fanOut.gatewayCpuPercent.toFixed(1)} % of one core (${fanOut.gatewayCpuMsPerEvent.toFixed(2)} ms per committed event)`,
    `    subscriber clients CPU    ${fanOut.clientCpuPercent.toFixed(1)} % of one core (all ${options.clientProcesses} processes; they share the cores), RSS ${fanOut.clientRssMb.toFixed(0)} MB`,
    `    gateway RSS over the phase ${fanOut.rssTimeline.map(([second, rss]) => `${second.toFixed(0)}s:${rss.toFixed(0)}`).join(' ')} MB`,
    `    gateway memory (s RSS/heap/external MB) ${memoryOverTime(fanOut.memoryTimeline, 30)}`,
    ...(fanOut.soak ? [`    soak                      ${soakLine(fanOut.soak)}`] : []),
    ...(results.heapSnapshots.length ? [`    heap snapshots            ${results.heapSnapshots.join(' ')}`] : []),
    '',
    '  CPU by process over the recorded window (from /proc)       CPU s   % core       RSS',
    ...cpuRows(fanOut.cpu),
    '',
    `  Driver: ${results.driver.sent} mutations sent, ${results.driver.accepted} accepted, ${results.driver.succeeded} succeeded, ${results.driver.unsuccessful} failed/cancelled, ${results.driver.mutationErrors} errors, starved ${results.driver.starved} ticks`,
    `  Problems: ${problems.connectionErrors} connection errors, ${problems.closedUnexpectedly} closed by the server, ${problems.errorMessages} error messages, ${problems.platformWarnings} platform warning lines`,
  ];
  for (const [reason, count] of Object.entries(problems.closes)) lines.push(`    close ${reason}: ${count}`);
  for (const sample of [...problems.errorSamples, ...results.driver.errorSamples, ...problems.platformWarningSamples]) lines.push(`    ${sample}`);
  return lines.join('\n');
}

/** The block for docs/benchmarks.md. */
export function formatFanOutMarkdown(results: FanOutResults): string {
  const { options, fanOut, memory, warmup, spread } = results;
  const verdict = targetVerdicts(results);
  const cpuTable = fanOut.cpu.roles
    .filter((role) => role.percentOfCore >= 0.5)
    .map((role) => `| ${roleLabel(role.role)} | ${role.percentOfCore.toFixed(0)} % | ${role.role.startsWith('postgres') ? '' : `${role.rssMb.toFixed(0)} MB`} |`);
  return [
    `Run ${results.date.slice(0, 16).replace('T', ' ')} UTC, revision ${results.revision}: \`${results.command}\``,
    '',
    `Machine: ${results.machine.cpuCount} × ${results.machine.cpuModel}, ${results.machine.memoryGiB.toFixed(0)} GiB, ${results.machine.os}, Node ${results.machine.node}, ${results.machine.postgres}.`,
    `Shape: ${integer.format(options.subscribers)} graphql-ws connections (one subscription each) from ${options.clientProcesses} client processes to one gateway process; ${options.vmPool} VMs; each subscriber filters on one VM (${spread.filteredPerVm.min}–${spread.filteredPerVm.max} per VM, ${spread.groups} payload execution group(s)), ${spread.unfiltered} unfiltered; SIM_LATENCY_MS=${options.simLatencyMs}; connected at ${options.connectPerSecond}/s.`,
    '',
    '| Figure | Result | Target |',
    '|---|---|---|',
    `| commit→client latency p50 / p95 / p99 / max | ${ms(fanOut.latency.p50)} / ${ms(fanOut.latency.p95)} / ${ms(fanOut.latency.p99)} / ${ms(fanOut.latency.max)} ms | p99 ≤ ${fanOutTargets.p99Ms} ms: **${mark(verdict.latency)}** |`,
    `| gateway RSS per idle connection | ${memory.rssKbPerConnection.toFixed(1)} KB (marginal ${memory.marginalRssKbPerConnection.toFixed(1)} KB, JS heap ${memory.heapKbPerConnection.toFixed(1)} KB) | ≤ ${fanOutTargets.idleKbPerConnection} KB: **${mark(verdict.memory)}** |`,
    ...(memory.settled ? [`| gateway RSS per idle connection, both ends sampled once RSS settled | ${settledLine(memory.settled)} | (same target) |`] : []),
    `| gateway RSS: none / all connected idle / after fan-out | ${memory.samples[0]?.rssMb.toFixed(0)} / ${memory.samples.at(-1)?.rssMb.toFixed(0)} / ${memory.afterFanOut.rssMb.toFixed(0)} MB | |`,
    `| gateway CPU with all subscribers idle | ${memory.idleGatewayCpuPercent.toFixed(1)} % of one core | |`,
    `| committed VM events | ${fanOut.eventsPerSecond.toFixed(1)} /s over ${fanOut.seconds.toFixed(0)} s (${integer.format(fanOut.events)}) | ${options.eventsPerSecond} /s |`,
    `| deliveries | ${integer.format(fanOut.delivered)} of ${integer.format(fanOut.expectedDeliveries)} expected (${(fanOut.delivered / fanOut.seconds).toFixed(0)} /s); missing ${fanOut.missing}, out of order ${fanOut.outOfOrder}, slow consumers dropped ${fanOut.slowConsumersDropped} | |`,
    `| gateway CPU while fanning out | ${fanOut.gatewayCpuPercent.toFixed(0)} % of one core (${fanOut.gatewayCpuMsPerEvent.toFixed(2)} ms per event; ${warmup.gatewayCpuPercent.toFixed(0)} % with the same mutations and no subscribers) | |`,
    `| subscriber clients CPU (same machine) | ${fanOut.clientCpuPercent.toFixed(0)} % of one core | |`,
    `| payload executions | ${integer.format(fanOut.payloadExecutions)} (${(fanOut.payloadExecutions / Math.max(1, fanOut.events)).toFixed(2)} per event) | |`,
    `| gateway memory over the phase (s: RSS / heap used / external MB) | ${memoryOverTime(fanOut.memoryTimeline, 60)} | |`,
    ...(fanOut.soak ? [`| soak: gateway memory after warm-up | ${soakLine(fanOut.soak)} | RSS flat (< 1 MB/min): **${mark(fanOut.soak.flat)}** |`] : []),
    '',
    'CPU over the recorded window (% of one core; 200 % = both cores):',
    '',
    '| Process | CPU | RSS |',
    '|---|---|---|',
    ...cpuTable,
    `| whole machine | ${fanOut.cpu.machinePercentOfCore.toFixed(0)} % (outside the bench ${fanOut.cpu.otherPercentOfCore.toFixed(0)} %) | |`,
  ].join('\n');
}

/** The latency breakdown: each stage from commit (gateway, bucketed), then loop delay and GC on both ends. */
function breakdownLines(breakdown: LatencyBreakdown): string[] {
  const stage = (name: 'read' | 'payload' | 'sent') => {
    const figures = breakdown.stages[name];
    return `${name} p50/p95/p99 ${figures.p50.toFixed(0)}/${figures.p95.toFixed(0)}/${figures.p99.toFixed(0)} (${figures.count})`;
  };
  const loop = breakdown.gatewayEventLoopMs;
  const gc = Object.entries(breakdown.gatewayGc)
    .filter(([, figures]) => figures.count > 0)
    .map(([kind, figures]) => `${kind} ${figures.count}× ${figures.totalMs.toFixed(0)} ms (>10 ms ${figures.over10Ms}, >100 ms ${figures.over100Ms})`)
    .join(', ');
  const clients = breakdown.clients
    .map((client) => `loop p99/max ${client.eventLoopDelayMs.p99.toFixed(0)}/${client.eventLoopDelayMs.max.toFixed(0)}, gc ${client.gc.count}× ${client.gc.totalMs.toFixed(0)} ms max ${client.gc.maxMs.toFixed(0)}`)
    .join(' | ');
  return [
    `    stages from commit (ms)   ${stage('read')}; ${stage('payload')}; ${stage('sent')} (gateway histograms, interpolated in buckets)`,
    ...(breakdown.stagesOverTime?.length
      ? [`    stage p99 over time (s: read/payload/sent ms) ${breakdown.stagesOverTime.map((slice) => `${slice.toSecond.toFixed(0)}s ${ms(slice.read)}/${ms(slice.payload)}/${ms(slice.sent)}`).join(', ')}`]
      : []),
    `    gateway event loop (ms)   per 5-s scrape: p99 median ${loop.p99Median.toFixed(0)}, worst ${loop.p99Worst.toFixed(0)}; max median ${loop.maxMedian.toFixed(0)}, worst ${loop.maxWorst.toFixed(0)}`,
    `    gateway GC                ${gc}`,
    `    client processes          ${clients}`,
  ];
}
