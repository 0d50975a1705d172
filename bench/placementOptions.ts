/**
 * Benchmark: `placementOptions` over the full catalog (1,328 offerings; 2 vCPUs / 4 GiB leaves about
 * 1,100 feasible to score and sort), p50/p95 at the placement subgraph and through the gateway, at
 * 50 concurrent closed-loop clients, with `{ __typename }` against the same process as the same-run
 * baseline. Goal: p95 ≤ 5 ms at the subgraph, ≤ 15 ms through the gateway.
 *
 *   npm run -w @novacron/bench bench:placement -- [--count 5000] [--concurrency 50] [--warmup 1000] [--rounds 2]
 *     [--placement-response-cache on|off] [--gateway-response-cache on|off] [--generator autocannon|node-http]
 *     [--cpu-profile-dir DIR]
 *
 * Load generator: autocannon by default (about a third of the CPU per request of the node:http client
 * `runLoad`, which `--generator node-http` uses; on two cores the generator's CPU is the servers' loss).
 *
 * Caches: the placement subgraph's tenant-state cache (PLACEMENT_STATE_MAX_AGE_MS, default 1 s) is on in
 * every run; its placementOptions response cache (PLACEMENT_RESPONSE_CACHE, answered before Apollo) is
 * on unless `--placement-response-cache off`; the gateway's response cache (RESPONSE_CACHE, answered
 * before the gateway's Apollo) is on unless `--gateway-response-cache off`: it keeps a placementOptions
 * answer only as long as placement's `x-novacron-max-age-ms` allows (what is left of the state lease,
 * at most 1 s), besides its invalidation by the tenant's events and mutations.
 */
import { writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startPlacementBenchPlatform } from './src/placementBenchPlatform.ts';
import { runCannon } from './src/runCannon.ts';
import { processCpuSeconds } from './src/snapshotProcessCpu.ts';
import { runLoad } from './src/runLoad.ts';
import { summarizeLatencies, type LatencySummary } from './src/summarizeLatencies.ts';
import { monotonicMicros, type ProfilePhases } from './src/writeProfilePhases.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '50' },
    warmup: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '2' },
    'placement-response-cache': { type: 'string', default: 'on' },
    'gateway-response-cache': { type: 'string', default: 'on' },
    generator: { type: 'string', default: 'autocannon' },
    'cpu-profile-dir': { type: 'string' },
  },
});
const placementResponseCache = values['placement-response-cache'] === 'on';
if (!['on', 'off'].includes(values['placement-response-cache'])) throw new Error('--placement-response-cache is on or off');
const gatewayResponseCache = values['gateway-response-cache'] === 'on';
if (!['on', 'off'].includes(values['gateway-response-cache'])) throw new Error('--gateway-response-cache is on or off');
const caches = `placement state cache on (1 s), placement response cache ${placementResponseCache ? 'on' : 'off'}, gateway response cache ${gatewayResponseCache ? 'on' : 'off'}`;
if (!['autocannon', 'node-http'].includes(values.generator)) throw new Error('--generator is autocannon or node-http');
const generator = values.generator as 'autocannon' | 'node-http';
const count = Number(values.count);
const concurrency = Number(values.concurrency);
const warmup = Number(values.warmup);
const rounds = Number(values.rounds);

const placementQuery = JSON.stringify({
  query: `query Bench($requirements: PlacementRequirements!) { placementOptions(requirements: $requirements, first: 5) {
    feasibleCount
    candidates { provider region instanceType hourlyPrice monthlyPrice score scoreBreakdown { name weight value } }
    rejected { reason count examples { provider region instanceType detail } }
  } }`,
  variables: { requirements: { vcpus: 2, memoryGib: 4 } },
});
const typenameQuery = JSON.stringify({ query: '{ __typename }' });

function accept(payload: unknown): true | Error {
  const body = payload as { data?: unknown; errors?: { message: string }[] };
  if (body.errors?.length) return new Error(body.errors[0]?.message ?? 'GraphQL error');
  return body.data ? true : new Error('no data');
}

/** The measured (post-warm-up) window of the last series, in V8 profiles' clock. */
let lastWindow = { fromUs: 0, toUs: 0 };
/** Each series' window, for `summarizeCpuProfiles.ts DIR --phase <round>-<at>-<query>` after a `--cpu-profile-dir` run. */
const phases: ProfilePhases['phases'] = {};

/** CPU used from now on by the given processes and by the generator: call the result after a series of `requests`. */
function cpuMeter(pids: number[]): (requests: number) => { serverCpuUs: number; generatorCpuUs: number } {
  const servers = pids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
  const generator = process.cpuUsage();
  return (requests) => {
    const serverSeconds = pids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0) - servers;
    const usage = process.cpuUsage(generator);
    return { serverCpuUs: (serverSeconds * 1e6) / Math.max(1, requests), generatorCpuUs: (usage.user + usage.system) / Math.max(1, requests) };
  };
}

type Measured = { summary: LatencySummary; perSecond: number; failed: number; serverCpuUs: number; generatorCpuUs: number };

async function measure(url: string, headers: Record<string, string>, body: string, pids: number[]): Promise<Measured> {
  if (generator === 'autocannon') {
    // Every answer must be byte-identical to this one (the same query against an unchanged state).
    const sample = await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
    const expectBody = await sample.text();
    const accepted = accept(JSON.parse(expectBody));
    if (accepted instanceof Error) throw accepted;
    await runCannon({ url, count: warmup, concurrency, headers, body, expectBody });
    const fromUs = monotonicMicros();
    const meter = cpuMeter(pids);
    const result = await runCannon({ url, count, concurrency, headers, body, expectBody });
    const cpu = meter(count);
    lastWindow = { fromUs, toUs: monotonicMicros() };
    if (result.failed > 0) console.error('failures:', result.failures.join('; '));
    return { summary: summarizeLatencies(result.latenciesMs), perSecond: result.perSecond, failed: result.failed, ...cpu };
  }
  await runLoad({ url, count: warmup, concurrency, requestTimeoutMs: 30_000, headers, body: () => body, accept, primeBody: body });
  const fromUs = monotonicMicros();
  const meter = cpuMeter(pids);
  const result = await runLoad({ url, count, concurrency, requestTimeoutMs: 30_000, headers, body: () => body, accept, primeBody: body });
  const cpu = meter(count);
  lastWindow = { fromUs, toUs: monotonicMicros() };
  if (result.failedIndexes.length > 0) console.error('errors:', Object.fromEntries(result.errorSamples));
  return { summary: summarizeLatencies(result.latenciesMs), perSecond: (result.latenciesMs.length / result.wallMs) * 1000, failed: result.failedIndexes.length, ...cpu };
}

const log = (line: string) => console.error(line);
const platform = await startPlacementBenchPlatform(log, values['cpu-profile-dir'], { PLACEMENT_RESPONSE_CACHE: String(placementResponseCache), RESPONSE_CACHE: String(gatewayResponseCache) });
const rows: string[] = [];
try {
  const sample = await fetch(platform.gatewayUrl, { method: 'POST', headers: { ...platform.gatewayHeaders, 'content-type': 'application/json' }, body: placementQuery });
  const answer = (await sample.json()) as { data?: { placementOptions: { feasibleCount: number; candidates: { instanceType: string; region: string }[] } } };
  const result = answer.data?.placementOptions;
  if (!result) throw new Error(`placementOptions failed: ${JSON.stringify(answer)}`);
  log(`placementOptions: ${result.feasibleCount} feasible, first ${result.candidates[0]?.instanceType} in ${result.candidates[0]?.region}`);
  const series = [
    ['subgraph', '{ __typename }', platform.placementUrl, platform.subgraphHeaders, typenameQuery],
    ['subgraph', 'placementOptions', platform.placementUrl, platform.subgraphHeaders, placementQuery],
    ['gateway', '{ __typename }', platform.gatewayUrl, platform.gatewayHeaders, typenameQuery],
    ['gateway', 'placementOptions', platform.gatewayUrl, platform.gatewayHeaders, placementQuery],
  ] as const;
  for (let round = 1; round <= rounds; round += 1) {
    for (const [where, what, url, headers, body] of series) {
      // CPU of the processes that serve the series (the gateway's rows: gateway and placement).
      const serving = where === 'subgraph' ? [platform.pids.placement] : [platform.pids.gateway, platform.pids.placement];
      const { summary, perSecond, failed, serverCpuUs, generatorCpuUs } = await measure(url, headers, body, serving);
      phases[`${round}-${where}-${what === '{ __typename }' ? 'typename' : what}`] = lastWindow;
      const row = `| ${round} | ${where} | ${what} | ${summary.count} | ${summary.p50.toFixed(2)} | ${summary.p95.toFixed(2)} | ${summary.p99.toFixed(2)} | ${Math.round(perSecond)} | ${Math.round(serverCpuUs)} | ${Math.round(generatorCpuUs)} | ${failed} |`;
      rows.push(row);
      log(row);
    }
  }
} finally {
  await platform.stop();
}
const profileDir = values['cpu-profile-dir'];
if (profileDir) {
  const roles: ProfilePhases['roles'] = { [platform.pids.gateway]: 'gateway', [platform.pids.placement]: 'placement', [platform.pids.vms]: 'vms' };
  await writeFile(join(profileDir, 'bench-phases.json'), `${JSON.stringify({ roles, phases } satisfies ProfilePhases, null, 2)}\n`);
  log(`profiles in ${profileDir}: node summarizeCpuProfiles.ts ${profileDir} --phase 1-gateway-placementOptions`);
}
console.log(`\nplacementOptions benchmark: ${concurrency} concurrent clients (${generator === 'autocannon' ? 'autocannon 8, every answer compared byte for byte with a sample' : 'node:http client, every answer parsed'}), ${count} measured requests per series after ${warmup} warm-up, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}; ${caches}\n`);
console.log('| round | at | query | requests | p50 ms | p95 ms | p99 ms | req/s | server CPU µs/req | generator CPU µs/req | failed |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
