/**
 * Web dashboard fleet-page benchmark: the whole platform (`scripts/start.ts`) with N VMs (default
 * 10,000) of one tenant, the dashboard built from the current sources and served by the gateway, and
 * Debian's Chromium (playwright-core, `CHROMIUM_PATH`). Measures, in the page:
 *   1. time to first rows and to all rows loaded (a fresh page load with a signed-in session; median of runs),
 *   2. scroll frame times while the virtualized table scrolls top to bottom,
 *   3. VM events applied live at ~E events/s (stopVM/startVM mutations, two events each) and the
 *      long tasks (PerformanceObserver `longtask`, > 50 ms) during that window.
 * Prints a Markdown section for docs/benchmarks.md. `--help` lists the flags.
 */
import { cpus, loadavg, release, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { buildDashboard } from '@novacron/web/buildDashboard';
import { launchChromium } from '@novacron/web/launchChromium';
import { fleetEventsApplied, measureFleetScroll, recordLongTasks } from '@novacron/web/measureFleetPage';
import type { Page } from 'playwright-core';
import { createVmPool, startStateChangeDriver } from './src/driveVmStateChanges.ts';
import { startBenchPlatform } from './src/startBenchPlatform.ts';

const usage = `Usage: node bench/webFleet.ts [--vms 10000] [--events-per-second 100] [--seconds 30] [--loads 3] [--max-gap-seconds 10]\nExits 1 when the page stops applying VM events while events are committed (no event applied for longer than\n--max-gap-seconds while some wait, or fewer applied than committed by the end).`;
const { values } = parseArgs({
  options: {
    vms: { type: 'string', default: '10000' },
    'events-per-second': { type: 'string', default: '100' },
    seconds: { type: 'string', default: '30' },
    loads: { type: 'string', default: '3' },
    'max-gap-seconds': { type: 'string', default: '10' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const vmCount = Number(values.vms);
const eventsPerSecond = Number(values['events-per-second']);
const seconds = Number(values.seconds);
const loads = Number(values.loads);
const maxGapSeconds = Number(values['max-gap-seconds']);
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
const ms = (value: number) => value.toFixed(1);

/** Loads the fleet page afresh; returns ms from navigation start to the first row and to every row loaded. */
async function measureLoad(page: Page, origin: string): Promise<{ firstRows: number; allRows: number }> {
  await page.goto(`${origin}/`);
  await page.locator('[data-vm-id]').first().waitFor({ timeout: 120_000 });
  const firstRows = await page.evaluate(() => performance.now());
  await page.locator('section[data-loading="false"]').waitFor({ timeout: 300_000 });
  const allRows = await page.evaluate(() => performance.now());
  return { firstRows, allRows };
}

const started = new Date();
const loadAtStart = loadavg()[0]!;
const webRoot = await buildDashboard();
process.env.WEB_ROOT = webRoot;
log(`dashboard built into ${webRoot}`);
const platform = await startBenchPlatform({ workerProcesses: 1, workerConcurrency: 200, simLatencyMs: '20-60', cpuProfileDir: undefined, statementStats: false, verbose: false, log });
const browser = await launchChromium();
try {
  const origin = new URL(platform.gatewayUrl).origin;
  const gateway = { url: platform.gatewayUrl, authorization: platform.requestHeaders.authorization };
  // A pool of VMs RUNNING for the live phase, then the rest of the fleet: the page needs the rows, not
  // their provisioning, and waiting for 10,000 creates to finish on a loaded 2-core machine takes long.
  const poolSize = Math.min(200, vmCount);
  const createdAt = performance.now();
  const vmIds = await createVmPool({ gateway, sql: platform.sql, count: poolSize, namePrefix: 'pool', concurrency: 20 });
  log(`${vmIds.length} pool VMs RUNNING after ${((performance.now() - createdAt) / 1000).toFixed(0)} s; creating ${vmCount - poolSize} more…`);
  let next = 0;
  const createRest = async () => {
    while (next < vmCount - poolSize) {
      const index = next;
      next += 1;
      const response = await fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...platform.requestHeaders },
        body: JSON.stringify({ query: 'mutation ($input: CreateVMInput!) { createVM(input: $input) { id } }', variables: { input: { name: `fleet-${index}`, provider: 'aws', region: 'us-east-1', instanceType: 't3.micro', image: 'ubuntu-24.04' } } }),
      });
      const answer = (await response.json()) as { errors?: { message: string }[] };
      if (answer.errors?.length) throw new Error(`createVM fleet-${index}: ${answer.errors[0]!.message}`);
    }
  };
  await Promise.all(Array.from({ length: 50 }, createRest));
  // Wait for the fleet's creates to finish: the live phase's stop/start operations would otherwise queue
  // behind thousands of them (the first 10,000-VM run gave up that way), and the events of the live
  // phase would be the creates' rather than the driver's.
  const unfinishedNow = async () => Number((await platform.sql<{ count: string }[]>`select count(*)::text as count from vms.operations where status not in ('SUCCEEDED', 'FAILED', 'CANCELLED')`)[0]?.count ?? 0);
  const drainDeadline = performance.now() + 20 * 60_000;
  for (let left = await unfinishedNow(); left > 0 && performance.now() < drainDeadline; left = await unfinishedNow()) {
    log(`${left} creates still being provisioned…`);
    await new Promise((done) => setTimeout(done, 10_000));
  }
  const [{ count: inTable } = { count: '0' }] = await platform.sql<{ count: string }[]>`select count(*)::text as count from vms.vms where tenant_id = 'bench'`;
  const [{ count: unfinished } = { count: '0' }] = await platform.sql<{ count: string }[]>`select count(*)::text as count from vms.operations where status not in ('SUCCEEDED', 'FAILED', 'CANCELLED')`;
  log(`${inTable} VMs after ${((performance.now() - createdAt) / 1000).toFixed(0)} s; ${unfinished} creates still being provisioned while the page is measured`);

  const page = await browser.context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') log(`page ${message.type()}: ${message.text()}`);
  });
  await page.goto(`${origin}/`);
  await page.getByLabel('Tenant').fill('bench');
  await page.getByLabel('Role').selectOption('admin');
  await page.getByRole('button', { name: 'Use a development token' }).click();
  await page.getByRole('heading', { name: 'Fleet' }).waitFor();

  const loadRuns: { firstRows: number; allRows: number }[] = [];
  for (let run = 0; run < loads; run += 1) loadRuns.push(await measureLoad(page, origin));
  const rowsShown = await page.locator('[data-vm-id]').count();
  const countText = await page.getByTestId('fleet-count').textContent();
  log(`loads: ${JSON.stringify(loadRuns)}; ${countText}; ${rowsShown} rows in the DOM`);

  await measureFleetScroll(page, 400); // warm-up pass (JIT, layout caches)
  const scroll = await measureFleetScroll(page, 400);
  const frames = [...scroll.frames].sort((a, b) => a - b);

  // Live events: a long-task observer in the page, the driver at E/2 operations per second (two events each).
  const longTaskRecorder = await recordLongTasks(page);
  const appliedBefore = await fleetEventsApplied(page);
  const [{ seq: seqBefore } = { seq: '0' }] = await platform.sql<{ seq: string }[]>`select coalesce(max(seq), 0)::text as seq from vms.vm_events`;
  const committedNow = async () => Number((await platform.sql<{ count: string }[]>`select count(*)::text as count from vms.vm_events where seq > ${seqBefore}`)[0]?.count ?? 0);
  // Applied (in the page) and committed (in vms.vm_events) every half second: the longest stretch in
  // which the page applied nothing while committed events were waiting is the stall this bench once
  // missed (the page applied 797 of 3,002 events and then nothing, closed as a slow consumer).
  const samples: { at: number; applied: number; committed: number }[] = [];
  const sample = async () => {
    const [applied, committed] = await Promise.all([fleetEventsApplied(page), committedNow()]);
    samples.push({ at: performance.now(), applied: applied - appliedBefore, committed });
    return samples.at(-1)!;
  };
  const driver = await startStateChangeDriver({ gateway, sql: platform.sql, vmIds, operationsPerSecond: eventsPerSecond / 2 });
  const windowStart = performance.now();
  await sample();
  while (performance.now() - windowStart < seconds * 1000) {
    await new Promise((done) => setTimeout(done, 500));
    await sample();
  }
  const committedInWindow = samples.at(-1)!.committed;
  const appliedAfter = await fleetEventsApplied(page);
  const windowSeconds = (performance.now() - windowStart) / 1000;
  const longTasks = await longTaskRecorder.read();
  const driverStats = await driver.stop();
  const applied = appliedAfter - appliedBefore;
  // Events still on their way when the window closed: wait until the page has applied every committed
  // one, or gives up after `--max-gap-seconds` without applying any while some are waiting.
  const drainStart = performance.now();
  for (let last = await sample(); last.applied < last.committed && performance.now() - drainStart < 180_000; last = await sample()) {
    const progress = samples.findLast((entry) => entry.applied < last.applied);
    if (performance.now() - Math.max(progress?.at ?? drainStart, drainStart) > maxGapSeconds * 1000) break;
    await new Promise((done) => setTimeout(done, 500));
  }
  const final = samples.at(-1)!;
  const drained = final.applied + appliedBefore;
  const committed = final.committed;
  const drainSeconds = (final.at - drainStart) / 1000;
  // The longest time without a newly applied event while committed events were waiting for the page.
  let maxGapMs = 0;
  let stalledSince: number | null = null;
  for (let index = 1; index < samples.length; index += 1) {
    const previous = samples[index - 1]!;
    const current = samples[index]!;
    if (current.applied === previous.applied && previous.committed > previous.applied) {
      stalledSince ??= previous.at;
      maxGapMs = Math.max(maxGapMs, current.at - stalledSince);
    } else stalledSince = null;
  }
  const resumes = Number(await page.locator('section[data-resumes]').getAttribute('data-resumes'));
  const liveStatus = await page.locator('section[data-live-status]').getAttribute('data-live-status');
  log(`applied during window ${applied}, by the end ${drained - appliedBefore} of ${committed} committed, max gap ${(maxGapMs / 1000).toFixed(1)} s, ${resumes} resumes, stream ${liveStatus}`);
  const stalled = drained - appliedBefore < committed || maxGapMs > maxGapSeconds * 1000;

  const firstRows = loadRuns.map((run) => run.firstRows).sort((a, b) => a - b);
  const allRows = loadRuns.map((run) => run.allRows).sort((a, b) => a - b);
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}, Node ${process.version}, ${await browser.context.browser()?.version() ?? 'Chromium'}`;
  const lines = [
    `### Result — ${started.toISOString()}`,
    '',
    `Command: \`node bench/webFleet.ts --vms ${vmCount} --events-per-second ${eventsPerSecond} --seconds ${seconds} --loads ${loads}\``,
    '',
    `- Machine: ${machine}; headless Chromium (Debian) and the whole platform on the same machine.`,
    `- Machine load (1-minute load average, other work included): ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end, on ${cpus().length} cores.`,
    `- Fleet: ${inTable} VMs of one tenant (${countText?.trim()}), ${rowsShown} rows in the DOM (virtualized); ${unfinished} of the creates were still being provisioned when measuring began (their events are part of the live load); the live phase stops/starts a pool of ${vmIds.length} RUNNING VMs.`,
    '',
    '| Figure | Value |',
    '|---|---|',
    `| Time to first rows (navigation start → first row), median of ${loads} loads | ${ms(percentile(firstRows, 50))} ms (min ${ms(firstRows[0]!)}, max ${ms(firstRows.at(-1)!)}) |`,
    `| Time to all ${inTable} rows loaded (pages of 500), median | ${ms(percentile(allRows, 50))} ms |`,
    `| Scroll top → bottom, 400 px per frame: frames | ${frames.length} |`,
    `| Scroll frame time p50 / p95 / p99 / max | ${ms(percentile(frames, 50))} / ${ms(percentile(frames, 95))} / ${ms(percentile(frames, 99))} / ${ms(frames.at(-1)!)} ms |`,
    `| Scroll frames over 16.7 ms / over 50 ms | ${frames.filter((frame) => frame > 16.7).length} / ${frames.filter((frame) => frame > 50).length} |`,
    `| Long tasks while scrolling | ${scroll.longTasks.length}${scroll.longTasks.length ? ` (max ${ms(Math.max(...scroll.longTasks))} ms)` : ''} |`,
    `| Live window | ${windowSeconds.toFixed(1)} s, ${driverStats.accepted} stop/start operations accepted (${driverStats.mutationErrors} refused) |`,
    `| VM events applied in the page during the window / committed in it | ${applied} (${(applied / windowSeconds).toFixed(1)} per second) / ${committedInWindow} |`,
    `| VM events applied by the end / committed | ${drained - appliedBefore} / ${committed}, the last ${drainSeconds.toFixed(1)} s after the driver stopped |`,
    `| Longest stretch with events committed and none applied (max gap) | ${(maxGapMs / 1000).toFixed(1)} s (limit ${maxGapSeconds} s) |`,
    `| Live stream reconnects (resumed after the last cursor) | ${resumes}; stream ${liveStatus} at the end |`,
    `| Long tasks (> 50 ms) during the live window | ${longTasks.length}${longTasks.length ? ` (max ${ms(Math.max(...longTasks))} ms, total ${ms(longTasks.reduce((a, b) => a + b, 0))} ms)` : ''} |`,
  ];
  console.log(lines.join('\n'));
  if (stalled) {
    log(`FAIL: the page stopped applying events while events were committed (${drained - appliedBefore} of ${committed} applied, max gap ${(maxGapMs / 1000).toFixed(1)} s)`);
    process.exitCode = 1;
  }
} finally {
  await browser.close();
  await platform.stop();
}
