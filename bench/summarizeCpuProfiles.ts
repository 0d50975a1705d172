/**
 * Prints where each platform process spent its CPU during one phase of a benchmark run made with
 * `--cpu-prof DIR`: self time by package and the hottest functions.
 *
 *   node summarizeCpuProfiles.ts DIR [--phase mutations|baseline|drain] [--top 15]
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { socketWrite, summarizeCpuProfile } from './src/summarizeCpuProfile.ts';
import type { ProfilePhases } from './src/writeProfilePhases.ts';

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  options: { phase: { type: 'string', default: 'mutations' }, top: { type: 'string', default: '15' } },
  allowPositionals: true,
});
const dir = positionals[0];
if (!dir) {
  process.stderr.write('usage: node summarizeCpuProfiles.ts DIR [--phase mutations|baseline|drain] [--top 15]\n');
  process.exit(1);
}
const top = Number(values.top);
const meta = JSON.parse(await readFile(join(dir, 'bench-phases.json'), 'utf8')) as ProfilePhases;
const window = meta.phases[values.phase];
if (!window) throw new Error(`no phase ${values.phase}; the run recorded ${Object.keys(meta.phases).join(', ')}`);
const seconds = (window.toUs - window.fromUs) / 1e6;
process.stdout.write(`phase ${values.phase}: ${seconds.toFixed(1)} s\n`);

const files = (await readdir(dir)).filter((file) => file.endsWith('.cpuprofile'));
const summaries = [];
for (const file of files) {
  const pid = Number(file.split('.')[3]);
  const role = meta.roles[pid] ?? `pid ${pid}`;
  summaries.push({ role, pid, summary: await summarizeCpuProfile(join(dir, file), window) });
}
summaries.sort((a, b) => b.summary.busyMs - a.summary.busyMs);
process.stdout.write(
  'V8 samples wall time: "busy" includes time a process was runnable but not running. Percentages below\n' +
    `leave out ${socketWrite} (shown apart), where a saturated machine parks most of that wait.\n`,
);
for (const { role, pid, summary } of summaries) {
  if (summary.busyMs < 1) continue;
  const counted = summary.busyMs - summary.socketWriteMs;
  const share = (valueMs: number) => `${((valueMs * 100) / counted).toFixed(1).padStart(5)} %`;
  process.stdout.write(
    `\n== ${role} (pid ${pid}): sampled busy ${(summary.busyMs / 1000).toFixed(2)} s (${(summary.busyMs / 10 / seconds).toFixed(0)} % of the phase), ` +
      `of which ${(summary.socketWriteMs / 1000).toFixed(2)} s ${socketWrite}\n`,
  );
  process.stdout.write('   by package (self time)\n');
  for (const entry of summary.byPackage.filter((candidate) => candidate.name !== socketWrite).slice(0, top)) {
    process.stdout.write(`   ${share(entry.selfMs)}  ${entry.name}\n`);
  }
  process.stdout.write('   hottest functions (self time)\n');
  for (const entry of summary.byFunction.filter((candidate) => !candidate.name.endsWith(socketWrite)).slice(0, top)) {
    process.stdout.write(`   ${share(entry.selfMs)}  ${entry.name}\n`);
  }
}
