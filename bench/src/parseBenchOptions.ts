import { parseArgs } from 'node:util';

/** What one run of the createVM throughput benchmark does; every field has a flag and most an env variable. */
export interface BenchOptions {
  /** createVM mutations in the measured phase. */
  count: number;
  /** Clients: each sends its next request when the previous one answered. */
  concurrency: number;
  /** Open loop for the measured createVM phase: mutations due at this many per second (at most `concurrency` in flight). */
  rate: number | undefined;
  /** Requests of each kind (query, mutation) sent before measuring, to warm the JIT, pools and plans. */
  warmup: number;
  /**
   * createVM sent before the warm-up (closed loop, workers executing), then `VACUUM ANALYZE`: tables the
   * size of a deployment's history instead of empty ones, so autovacuum and plans behave as they would there.
   */
  history: number;
  /** Cheap-query requests of the baseline phase. */
  baselineCount: number;
  workerProcesses: number;
  /** Jobs one worker process runs at once. */
  workerConcurrency: number;
  /** The simulated provider's latency per transition, `min-max` ms. */
  simLatencyMs: string;
  /** Give up waiting for operations to become terminal after this long and report what is left. */
  drainTimeoutSeconds: number;
  /** Per-request client timeout. */
  requestTimeoutMs: number;
  /** When set, every platform process writes a V8 CPU profile here (adds overhead; not for headline numbers). */
  cpuProfileDir: string | undefined;
  /** Load pg_stat_statements and print the statements that took the most time in the mutation phase. */
  statementStats: boolean;
  /** Forward every platform log line instead of the first few. */
  verbose: boolean;
  /** When set, the raw results are also written here as JSON. */
  jsonPath: string | undefined;
  /** After the closed loop, run the open-loop scenarios (sustained rate, rate search, frozen-worker burst, overload). */
  openLoop: boolean;
  /** Sustained phase: rate and seconds (`300x60`). */
  openRate: number;
  openSeconds: number;
  /** Rates of the p95 ≤ 50 ms search, and seconds per step. */
  searchRates: number[];
  searchStepSeconds: number;
  burstCount: number;
  overloadFactor: number;
  overloadSeconds: number;
  /** The overload phase's rate; undefined: --overload-factor × the highest rate meeting p95 ≤ 50 ms. */
  overloadRate: number | undefined;
  /** The gateway's admission limits for the run (`inFlight,queued,queueMs[,targetMs]`; `off`); the gateway's defaults when unset. */
  gatewayAdmission: string | undefined;
  /** Workers yield to accepting (`targetMs[,workerConcurrency[,holdMs]]`); unset: they never do. */
  acceptPressure: string | undefined;
  /** The vms subgraph's admission limits for the run (`concurrent,queued,queueMs`; `off`); the platform's defaults when unset. */
  admission: string | undefined;
  /** CREATE_GUARD_CACHE_MS for the vms subgraph: skip quota/budget calls for tenants without either (0: off). */
  guardCacheMs: number;
  /** The bench Postgres's `autovacuum_naptime` in seconds (0: Postgres's default, 60 s); see startBenchDatabase. */
  autovacuumNaptimeSeconds: number;
  /** WORKER_NICE for the run (0: the workers keep their priority); the platform's default (10) when unset. */
  workerNice: number | undefined;
  /** BACKGROUND_CGROUP for the run (`auto`, a cgroup directory, or `off`); unset: this process's environment's. */
  backgroundCgroup: string | undefined;
}

const usage = `Usage: node createVmThroughput.ts [options]

  --count N                 createVM mutations to measure (BENCH_COUNT, default 10000)
  --concurrency N           concurrent closed-loop clients (BENCH_CONCURRENCY, default 200)
  --rate N                  open loop: createVM due at N per second, at most --concurrency in flight,
                            latency counted from when each was due (BENCH_RATE; default: closed loop)
  --warmup N                warm-up requests per kind (BENCH_WARMUP, default 200)
  --history N               createVM before the warm-up (closed loop, workers executing), then VACUUM ANALYZE:
                            start the measurement on tables the size of a deployment's history (default 0;
                            raises the simulated region's capacity, SIM_CAPACITY_PER_REGION, to 10,000,000)
  --baseline-count N        baseline query requests (BENCH_BASELINE_COUNT, default 2000)
  --worker-processes N      operation worker processes (WORKER_PROCESSES, default 1)
  --worker-concurrency N    jobs per worker process (WORKER_CONCURRENCY, default 1000, the platform's)
  --sim-latency MIN-MAX     simulated provider latency in ms (SIM_LATENCY_MS, default 1000-3000)
  --drain-timeout S         seconds to wait for all operations to be terminal (default 900)
  --request-timeout MS      per-request client timeout (default 30000)
  --cpu-prof DIR            write V8 CPU profiles of every platform process to DIR (adds overhead)
  --statements              load pg_stat_statements; print the top statements of the mutation phase
  --json FILE               also write the raw results as JSON
  --open-loop               after the closed loop: open loop at --open-rate for --open-seconds (workers
                            executing), a rate search for accept p95 ≤ 50 ms (--search-rates, --search-step
                            seconds), a burst of --burst-count createVM with the workers frozen, and
                            --overload-factor × the highest passing rate for --overload-seconds
  --open-rate N             (default 300)      --open-seconds N   (default 60)
  --search-rates A,B,…      (default 100,200,300,400,500,600)   --search-step N (default 10)
  --burst-count N           (default 3000)     --overload-factor F (default 2)   --overload-seconds N (default 20)
  --overload-rate N         the overload phase's rate (default: --overload-factor × the highest passing rate)
  --admission C,Q,MS|off    the vms subgraph's MUTATION_MAX_CONCURRENT, _QUEUED, _QUEUE_MS for the run
  --gateway-admission C,Q,MS[,T]|off  the gateway's GATEWAY_MAX_IN_FLIGHT, _QUEUED, _QUEUE_MS for the run; T: the
                            adaptive limit's latency target GATEWAY_ADMISSION_TARGET_MS (off without it)
  --accept-pressure T[,C[,H]]  workers yield to accepting: above T ms of mutation latency (p90) the vms subgraph
                            NOTIFYs them and they start operations only below C running for H ms
                            (ACCEPT_PRESSURE_TARGET_MS, WORKER_YIELD_CONCURRENCY, WORKER_YIELD_HOLD_MS)
  --guard-cache MS          CREATE_GUARD_CACHE_MS: skip placement/billing calls of tenants without quota/budget
  --autovacuum-naptime S    the bench Postgres's autovacuum_naptime (default 1; 0: Postgres's 60 s). The run grows
                            its tables from empty in a minute; statistics must keep up as they do in a deployment
  --worker-nice N           WORKER_NICE: the workers' and their Postgres backends' nice value (0–19; default: the
                            platform's, 10; 0 leaves them at the accept path's priority)
  --background-cgroup V     BACKGROUND_CGROUP: auto (npm start makes an idle CPU cgroup for the workers and the
                            background backends), a cgroup directory, or off (default: the environment's)
  --verbose                 forward all platform log lines
  --help`;

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

/** Parses the command line (flags win over environment variables); prints usage and exits on `--help`. */
export function parseBenchOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      count: { type: 'string' },
      concurrency: { type: 'string' },
      rate: { type: 'string' },
      warmup: { type: 'string' },
      history: { type: 'string' },
      'baseline-count': { type: 'string' },
      'worker-processes': { type: 'string' },
      'worker-concurrency': { type: 'string' },
      'sim-latency': { type: 'string' },
      'drain-timeout': { type: 'string' },
      'request-timeout': { type: 'string' },
      'cpu-prof': { type: 'string' },
      json: { type: 'string' },
      'open-loop': { type: 'boolean', default: false },
      'open-rate': { type: 'string' },
      'open-seconds': { type: 'string' },
      'search-rates': { type: 'string' },
      'search-step': { type: 'string' },
      'burst-count': { type: 'string' },
      'overload-factor': { type: 'string' },
      'overload-seconds': { type: 'string' },
      'overload-rate': { type: 'string' },
      admission: { type: 'string' },
      'gateway-admission': { type: 'string' },
      'accept-pressure': { type: 'string' },
      'guard-cache': { type: 'string' },
      'autovacuum-naptime': { type: 'string' },
      'worker-nice': { type: 'string' },
      'background-cgroup': { type: 'string' },
      statements: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const simLatencyMs = values['sim-latency'] ?? env.SIM_LATENCY_MS ?? '1000-3000';
  if (!/^\d+(?:-\d+)?$/.test(simLatencyMs)) throw new Error(`--sim-latency must look like 1000-3000, got "${simLatencyMs}"`);
  const options: BenchOptions = {
    count: positiveInt('--count', values.count ?? env.BENCH_COUNT, 10_000),
    concurrency: positiveInt('--concurrency', values.concurrency ?? env.BENCH_CONCURRENCY, 200),
    rate: positiveInt('--rate', values.rate ?? env.BENCH_RATE, 0) || undefined,
    warmup: positiveInt('--warmup', values.warmup ?? env.BENCH_WARMUP, 200),
    history: positiveInt('--history', values.history, 0),
    baselineCount: positiveInt('--baseline-count', values['baseline-count'] ?? env.BENCH_BASELINE_COUNT, 2_000),
    workerProcesses: positiveInt('--worker-processes', values['worker-processes'] ?? env.WORKER_PROCESSES, 1),
    workerConcurrency: positiveInt('--worker-concurrency', values['worker-concurrency'] ?? env.WORKER_CONCURRENCY, 1_000),
    simLatencyMs,
    drainTimeoutSeconds: positiveInt('--drain-timeout', values['drain-timeout'], 900),
    requestTimeoutMs: positiveInt('--request-timeout', values['request-timeout'], 30_000),
    cpuProfileDir: values['cpu-prof'],
    statementStats: values.statements,
    verbose: values.verbose,
    jsonPath: values.json,
    openLoop: values['open-loop'],
    openRate: positiveInt('--open-rate', values['open-rate'], 300),
    openSeconds: positiveInt('--open-seconds', values['open-seconds'], 60),
    searchRates: (values['search-rates'] ?? '100,200,300,400,500,600').split(',').map((rate) => positiveInt('--search-rates', rate, 0)).filter((rate) => rate > 0),
    searchStepSeconds: positiveInt('--search-step', values['search-step'], 10),
    burstCount: positiveInt('--burst-count', values['burst-count'], 3_000),
    overloadFactor: Number(values['overload-factor'] ?? 2),
    overloadSeconds: positiveInt('--overload-seconds', values['overload-seconds'], 20),
    overloadRate: positiveInt('--overload-rate', values['overload-rate'], 0) || undefined,
    admission: values.admission,
    gatewayAdmission: values['gateway-admission'],
    acceptPressure: values['accept-pressure'],
    guardCacheMs: positiveInt('--guard-cache', values['guard-cache'], 0),
    autovacuumNaptimeSeconds: positiveInt('--autovacuum-naptime', values['autovacuum-naptime'], 1),
    workerNice: values['worker-nice'] === undefined ? undefined : positiveInt('--worker-nice', values['worker-nice'], 0),
    backgroundCgroup: values['background-cgroup'],
  };
  if (options.backgroundCgroup !== undefined && !['auto', 'off'].includes(options.backgroundCgroup) && !options.backgroundCgroup.startsWith('/')) {
    throw new Error(`--background-cgroup must be auto, off or an absolute cgroup directory, got "${options.backgroundCgroup}"`);
  }
  if (options.workerNice !== undefined && options.workerNice > 19) throw new Error(`--worker-nice must be from 0 to 19, got ${options.workerNice}`);
  if (options.admission !== undefined && options.admission !== 'off' && !/^\d+,\d+,\d+$/.test(options.admission)) throw new Error(`--admission must be C,Q,MS or off, got "${options.admission}"`);
  if (options.gatewayAdmission !== undefined && options.gatewayAdmission !== 'off' && !/^\d+,\d+,\d+(,\d+)?$/.test(options.gatewayAdmission)) {
    throw new Error(`--gateway-admission must be C,Q,MS[,TARGET_MS] or off, got "${options.gatewayAdmission}"`);
  }
  if (options.acceptPressure !== undefined && !/^\d+(,\d+(,\d+)?)?$/.test(options.acceptPressure)) throw new Error(`--accept-pressure must be T[,C[,H]], got "${options.acceptPressure}"`);
  if (!(options.overloadFactor > 0)) throw new Error('--overload-factor must be positive');
  if (options.count < 1 || options.concurrency < 1) throw new Error('--count and --concurrency must be at least 1');
  if (options.workerProcesses < 1 || options.workerConcurrency < 1) throw new Error('--worker-processes and --worker-concurrency must be at least 1');
  return options;
}
