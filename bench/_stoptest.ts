import { startBenchPlatform } from '/work/main/bench/src/startBenchPlatform.ts';
const p = await startBenchPlatform({ workerProcesses: 1, workerConcurrency: 10, simLatencyMs: '10', cpuProfileDir: undefined, verbose: true, log: (l) => console.log('[platform]', l) });
console.log('started', p.supervisorPid);
const t0 = Date.now();
await p.stop();
console.log('stopped after', Date.now() - t0);
