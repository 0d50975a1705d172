/**
 * `npm run chaos`: breaks the real platform on purpose and checks what it promises. Prints each
 * scenario's figures and a markdown table for docs/reliability.md; exits 1 when a guarantee failed.
 *
 *   node bench/chaos.ts [--short] [--only R2,R3] [--operations N] [--kills N] [--keys N]
 *
 * R2 (PostgreSQL crash) and R3 (Redis outage) live here; R1 (worker SIGKILLs) and R4 (duplicate
 * keys) are imported from bench/src/chaos/workerKills.ts and duplicateKeys.ts when those exist.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ChaosOptions, ChaosResult, ChaosScenario } from './src/chaos/ChaosScenario.ts';

const { values } = parseArgs({
  options: {
    short: { type: 'boolean', default: false },
    only: { type: 'string' },
    operations: { type: 'string' },
    kills: { type: 'string' },
    keys: { type: 'string' },
    'min-worker-lifetime-ms': { type: 'string' },
    'sim-latency-ms': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(
    'node bench/chaos.ts [--short] [--only R1,R2,R3,R4] [--operations N] [--kills N] [--keys N]\n  --short  the CI-sized variant\n  --only   run these scenarios only\n' +
      '  --operations, --kills  R1 sizes (default 2,000 and 200)\n  --keys   R4 size (default 2,000 keys × 5)\n' +
      '  --min-worker-lifetime-ms  R1: a worker becomes killable 1-2× this after it starts (default 3,000)\n' +
      '  --sim-latency-ms  R1: simulated provider latency range, e.g. 400-1000 (default 100-400)',
  );
  process.exit(0);
}

/**
 * Every scenario, by id, with the module that runs it (some may not be written yet) and the sizes
 * its `run` takes for the short variant (R1 and R4 take sizes rather than `short`).
 */
const scenarios: { id: string; module: string; shortSizes?: Record<string, number> }[] = [
  { id: 'R1', module: './src/chaos/workerKills.ts', shortSizes: { operations: 200, kills: 20 } },
  { id: 'R2', module: './src/chaos/postgresRestart.ts' },
  { id: 'R3', module: './src/chaos/redisRestart.ts' },
  { id: 'R4', module: './src/chaos/duplicateKeys.ts', shortSizes: { keys: 200 } },
];
const only = values.only ? new Set(values.only.split(',').map((id) => id.trim().toUpperCase())) : null;
const options: ChaosOptions = { short: values.short, log: (line) => console.log(line) };
/** Sizes given on the command line; they win over the short variant's. A module ignores sizes it does not take. */
const sizes: Record<string, number> = {};
for (const name of ['operations', 'kills', 'keys'] as const) {
  const value = values[name];
  if (value === undefined) continue;
  const size = Number(value);
  if (!Number.isInteger(size) || size < 1) throw new Error(`--${name} must be a positive integer, got "${value}"`);
  sizes[name] = size;
}
/** R1's pacing: with more kills than its operations outlast, shorter lifetimes or slower operations let every kill land. */
const pacing: Record<string, number | string> = {};
if (values['min-worker-lifetime-ms'] !== undefined) {
  const lifetime = Number(values['min-worker-lifetime-ms']);
  if (!Number.isInteger(lifetime) || lifetime < 0) throw new Error(`--min-worker-lifetime-ms must be a non-negative integer, got "${values['min-worker-lifetime-ms']}"`);
  pacing.minWorkerLifetimeMs = lifetime;
}
if (values['sim-latency-ms'] !== undefined) {
  if (!/^\d+(-\d+)?$/.test(values['sim-latency-ms'])) throw new Error(`--sim-latency-ms must look like 400 or 400-1000, got "${values['sim-latency-ms']}"`);
  pacing.simLatencyMs = values['sim-latency-ms'];
}
const results: (ChaosResult & { id: string })[] = [];
let missing = 0;

for (const scenario of scenarios) {
  if (only && !only.has(scenario.id)) continue;
  const url = new URL(scenario.module, import.meta.url);
  if (!existsSync(url)) {
    console.log(`${scenario.id}: ${scenario.module} is not in this checkout; skipped`);
    missing += 1;
    continue;
  }
  console.log(`${scenario.id}: running${options.short ? ' (short)' : ''}…`);
  const started = Date.now();
  try {
    const { run } = (await import(url.href)) as ChaosScenario;
    const result = await run({ ...options, ...(options.short ? scenario.shortSizes : {}), ...sizes, ...(scenario.id === 'R1' ? pacing : {}) });
    results.push({ id: scenario.id, ...result });
    console.log(`${scenario.id}: ${result.passed ? 'PASSED' : 'FAILED'} in ${Math.round((Date.now() - started) / 1000)} s`);
    for (const [name, value] of Object.entries(result.figures)) console.log(`  ${name}: ${value}`);
  } catch (error) {
    results.push({ id: scenario.id, name: scenario.module, passed: false, figures: { error: error instanceof Error ? error.message : String(error) } });
    console.log(`${scenario.id}: FAILED to run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
}

console.log(`\nFor docs/reliability.md (${new Date().toISOString().slice(0, 10)}, ${options.short ? 'short' : 'full'} run):\n`);
console.log('| Scenario | Result | Figures |\n|---|---|---|');
for (const result of results) {
  const figures = Object.entries(result.figures).map(([name, value]) => `${name} ${value}`).join('; ');
  console.log(`| ${result.name} | ${result.passed ? 'passed' : '**failed**'} | ${figures} |`);
}
if (missing > 0) console.log(`\n${missing} scenario module(s) missing from this checkout (see above).`);
process.exit(results.every((result) => result.passed) ? 0 : 1);
