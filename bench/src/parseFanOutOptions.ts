import { parseArgs } from 'node:util';

/** What one run of the subscription fan-out benchmark does; every field has a flag and an env variable. */
export interface FanOutOptions {
  /** graphql-ws connections, one `vmEvents` subscription each. */
  subscribers: number;
  /** Child processes the connections are spread over (the gateway is one process). */
  clientProcesses: number;
  /** VMs created and RUNNING before measuring; state changes rotate over them. */
  vmPool: number;
  /** Subscribers without a filter (they receive every event); the others filter on one VM each. */
  unfiltered: number;
  /** VM events per second to commit in the measured phase. */
  eventsPerSecond: number;
  /** Seconds of the measured fan-out phase. */
  durationSeconds: number;
  /** Seconds of state changes before any client connects: warms the mutation path, measures events per operation and the gateway's CPU without subscribers. */
  warmupSeconds: number;
  /** Seconds of state changes with every subscriber connected, before latencies are recorded (JIT, pools). */
  fanOutWarmupSeconds: number;
  /** New connections per second, over all client processes. */
  connectPerSecond: number;
  /** Seconds to wait after connecting before the idle memory samples. */
  idleSettleSeconds: number;
  /** The simulated provider's latency per transition, `min-max` ms. */
  simLatencyMs: string;
  /**
   * Where `scripts/start.ts` is run from: this repository by default, or another checkout of it
   * (e.g. a clean snapshot of one commit while the working tree is being edited).
   */
  platformRoot: string | undefined;
  /** When set, every platform process writes a V8 CPU profile here (adds overhead; not for headline numbers). */
  cpuProfileDir: string | undefined;
  /**
   * When set, the gateway writes a V8 heap snapshot here with every subscriber idle (not in soak
   * mode) and again after the fan-out (each pauses the gateway for seconds: not for headline numbers); compare them with
   * `node compareHeapSnapshots.ts A B`.
   */
  heapSnapshotDir: string | undefined;
  /** When set, the raw results are also written here as JSON. */
  jsonPath: string | undefined;
  /** Forward every platform log line instead of the first few. */
  verbose: boolean;
  /** Soak mode: a 10-minute measured phase (unless --duration says otherwise) and the memory trend after warm-up. */
  soak: boolean;
}

const usage = `Usage: node subscriptionFanOut.ts [options]

  --subscribers N           graphql-ws connections, one subscription each (BENCH_SUBSCRIBERS, default 10000)
  --client-processes N      processes the connections are spread over (BENCH_CLIENT_PROCESSES, default 4)
  --vms N                   VMs in the pool, created and RUNNING before measuring (BENCH_VMS, default 200)
  --unfiltered N            subscribers without a filter, receiving every event (BENCH_UNFILTERED, default 0);
                            the others each filter on one VM of the pool, round-robin
  --rate N                  VM events per second to commit while measuring (BENCH_RATE, default 100)
  --duration S              seconds of the measured phase (BENCH_DURATION, default 60)
  --warmup S                seconds of state changes before clients connect (BENCH_WARMUP, default 10)
  --fan-out-warmup S        seconds of state changes with clients connected, not recorded (default 5)
  --connect-rate N          new connections per second over all clients (BENCH_CONNECT_RATE, default 500)
  --idle-settle S           seconds to wait before the idle memory samples (default 10)
  --sim-latency MIN-MAX     simulated provider latency in ms (SIM_LATENCY_MS, default 50-100)
  --platform-root DIR       run scripts/start.ts from this checkout instead of this repository
                            (BENCH_PLATFORM_ROOT; e.g. a snapshot of one commit with its node_modules)
  --cpu-prof DIR            V8 CPU profiles of every platform process in DIR (adds overhead); then
                            node summarizeCpuProfiles.ts DIR --phase fanOut (or idle)
  --heap-snapshots DIR      gateway heap snapshots in DIR with no client and with all subscribers idle (not with --soak)
                            and after the fan-out (pauses the gateway); then node compareHeapSnapshots.ts A B
  --json FILE               also write the raw results as JSON
  --verbose                 forward all platform log lines
  --soak                    soak mode: 600 s measured (unless --duration is given), then the gateway's
                            RSS and heap trend (MB/min) after the first fifth of the phase
  --help

Gateway settings pass through the environment: WS_KEEP_ALIVE_MS, EVENT_POLL_INTERVAL_MS,
WS_SUBSCRIPTION_QUEUE_LIMIT, WS_MAX_BUFFERED_BYTES, WORKER_CONCURRENCY, …`;

function count(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

/** Parses the command line (flags win over environment variables); prints usage and exits on `--help`. */
export function parseFanOutOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): FanOutOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      subscribers: { type: 'string' },
      'client-processes': { type: 'string' },
      vms: { type: 'string' },
      unfiltered: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      'fan-out-warmup': { type: 'string' },
      'connect-rate': { type: 'string' },
      'idle-settle': { type: 'string' },
      'sim-latency': { type: 'string' },
      'platform-root': { type: 'string' },
      'cpu-prof': { type: 'string' },
      'heap-snapshots': { type: 'string' },
      json: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      soak: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const simLatencyMs = values['sim-latency'] ?? env.SIM_LATENCY_MS ?? '50-100';
  if (!/^\d+(-\d+)?$/.test(simLatencyMs)) throw new Error(`--sim-latency must look like 50-100, got "${simLatencyMs}"`);
  const options: FanOutOptions = {
    subscribers: count('--subscribers', values.subscribers ?? env.BENCH_SUBSCRIBERS, 10_000),
    clientProcesses: count('--client-processes', values['client-processes'] ?? env.BENCH_CLIENT_PROCESSES, 4),
    vmPool: count('--vms', values.vms ?? env.BENCH_VMS, 200),
    unfiltered: count('--unfiltered', values.unfiltered ?? env.BENCH_UNFILTERED, 0),
    eventsPerSecond: count('--rate', values.rate ?? env.BENCH_RATE, 100),
    durationSeconds: count('--duration', values.duration ?? env.BENCH_DURATION, values.soak ? 600 : 60),
    warmupSeconds: count('--warmup', values.warmup ?? env.BENCH_WARMUP, 10),
    fanOutWarmupSeconds: count('--fan-out-warmup', values['fan-out-warmup'], 5),
    connectPerSecond: count('--connect-rate', values['connect-rate'] ?? env.BENCH_CONNECT_RATE, 500),
    idleSettleSeconds: count('--idle-settle', values['idle-settle'], 10),
    simLatencyMs,
    platformRoot: values['platform-root'] ?? env.BENCH_PLATFORM_ROOT,
    cpuProfileDir: values['cpu-prof'],
    heapSnapshotDir: values['heap-snapshots'],
    jsonPath: values.json,
    verbose: values.verbose,
    soak: values.soak,
  };
  if (options.subscribers < 1 || options.clientProcesses < 1 || options.vmPool < 1) throw new Error('--subscribers, --client-processes and --vms must be at least 1');
  if (options.unfiltered > options.subscribers) throw new Error('--unfiltered cannot exceed --subscribers');
  if (options.eventsPerSecond < 1 || options.durationSeconds < 1 || options.connectPerSecond < 1) throw new Error('--rate, --duration and --connect-rate must be at least 1');
  return options;
}
