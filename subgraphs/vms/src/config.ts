/**
 * The vms subgraph's and its workers' configuration, read from the environment once. Nothing else
 * reads process.env. See .env.example for every variable.
 */
import { emulatedCloudsFromEnvironment, type EmulatedClouds } from '@novacron/providers';
import { readEnv } from '@novacron/server-kit';
import { loadSubgraphConfig, readNiceEnv, type SubgraphConfig } from '@novacron/subgraph-kit';
import type { MutationAdmissionOptions } from './domain/createMutationAdmission.ts';

/** Parsed configuration: the kit's shared settings and the vms subgraph's own. */
export interface VmsConfig extends SubgraphConfig {
  security: SubgraphConfig['security'] & {
    /** `kid:base64key,…` for provider credentials at rest (AES-256-GCM). */
    credentialKeys: string | undefined;
    credentialActiveKeyId: string | undefined;
  };
  simulated: {
    latencyMs: { min: number; max: number };
    capacityPerRegion: number;
  };
  /**
   * How long createVM may trust that a tenant has no quota / no BLOCK_CREATE budget and skip the
   * placement / billing call (createCreateGuardScope.ts); 0 or absent: always call.
   */
  createGuardCacheMs?: number;
  /** Admission control on the mutation path (see createMutationAdmission.ts); absent or null: none. */
  admission?: MutationAdmissionOptions | null;
  /**
   * Accepting before executing (domain/signalAcceptPressure.ts, worker/yieldToAccepting.ts): above
   * `targetMs` of mutation latency (p90 of a window) the subgraph tells the workers, which then start
   * new operations only below `workerConcurrency` for `holdMs`. Absent: workers never yield.
   */
  acceptPressure?: { targetMs: number; workerConcurrency: number; holdMs: number } | null;
  /** createVM's budget check (billing): tenants whose creates go ahead when billing is unreachable. */
  budgetCheck?: { failOpenTenants: readonly string[] };
  /** The reconciler: how often every tenant's providers are compared with the database (0: only on demand). */
  reconcile: { intervalMs: number };
  /** NOVACRON_CLOUDS=emulated: the real drivers against the cloud emulators (their descriptor); undefined: simulated. */
  clouds?: EmulatedClouds;
  worker: {
    /** Port of the worker's /health and /ready endpoints (0: any free port, logged at start). */
    healthPort: number;
    /** Port of the worker's Prometheus `/metrics` endpoint (0: any free port, logged at start). */
    metricsPort: number;
    concurrency: number;
    leaseSeconds: number;
    queuedLeaseSeconds: number;
    sweepIntervalMs: number;
    maxRedrives: number;
    retry: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number };
    transitionTimeoutSeconds: number;
    pollIntervalMs: number;
    /** The worker signals the event streams after its writes at most this often (createEventSignaller). */
    eventSignalIntervalMs: number;
    /**
     * Above `above` operations running in a worker process, a step's end is held back to ride with the
     * end of the wait after it when the instance is due within `withinMs` (executeOperation's
     * deferStepEndWindowMs). `withinMs` 0: only within the usual 0.5 s.
     */
    coalescing: { above: number; withinMs: number };
    /**
     * The nice value (0–19) a worker process runs at, and its Postgres backends when the database is on
     * the same machine: execution has seconds of slack and gives way to the accept path. 0: unchanged.
     */
    nice: number;
  };
}

function parseRange(name: string, fallback: string): { min: number; max: number } {
  const raw = readEnv.string(name, fallback);
  const match = /^(\d+)(?:-(\d+))?$/.exec(raw);
  if (!match) throw new Error(`${name} must look like 1000-3000 or 500, got "${raw}"`);
  const min = Number(match[1]);
  const max = Number(match[2] ?? match[1]);
  if (max < min) throw new Error(`${name}: the maximum is below the minimum`);
  return { min, max };
}

/**
 * What a worker warns about at start when both ways of giving accepting the CPU first are on:
 * together they starved execution on a saturated machine (docs/reliability.md). Null when fine.
 */
export function workerPriorityWarning(config: Pick<VmsConfig, 'acceptPressure' | 'worker'>): string | null {
  if (!config.acceptPressure || config.worker.nice === 0) return null;
  return `WORKER_NICE=${config.worker.nice} and ACCEPT_PRESSURE_TARGET_MS=${config.acceptPressure.targetMs} both give accepting the CPU first; together they can leave operations late under saturation: use one (WORKER_NICE=0 or ACCEPT_PRESSURE_TARGET_MS=0)`;
}

/** Reads the configuration from the environment, with the embedded-default values. */
export function loadConfig(): VmsConfig {
  const shared = loadSubgraphConfig('vms');
  return Object.freeze({
    ...shared,
    security: {
      ...shared.security,
      credentialKeys: readEnv.optional('CREDENTIALS_KEYS'),
      credentialActiveKeyId: readEnv.optional('CREDENTIALS_ACTIVE_KEY_ID'),
    },
    simulated: {
      latencyMs: parseRange('SIM_LATENCY_MS', '1000-3000'),
      capacityPerRegion: readEnv.int('SIM_CAPACITY_PER_REGION', 100_000),
    },
    createGuardCacheMs: readEnv.int('CREATE_GUARD_CACHE_MS', 0),
    admission:
      readEnv.int('MUTATION_MAX_CONCURRENT', 32) > 0
        ? {
            maxConcurrent: readEnv.int('MUTATION_MAX_CONCURRENT', 32),
            maxQueued: readEnv.int('MUTATION_MAX_QUEUED', 1_024),
            maxQueueMs: readEnv.int('MUTATION_MAX_QUEUE_MS', 10_000),
            retryAfterSeconds: readEnv.int('MUTATION_RETRY_AFTER_SECONDS', 1),
          }
        : null,
    acceptPressure:
      readEnv.int('ACCEPT_PRESSURE_TARGET_MS', 0) > 0
        ? {
            targetMs: readEnv.int('ACCEPT_PRESSURE_TARGET_MS', 0),
            workerConcurrency: readEnv.int('WORKER_YIELD_CONCURRENCY', 10),
            holdMs: readEnv.int('WORKER_YIELD_HOLD_MS', 1_000),
          }
        : null,
    budgetCheck: {
      failOpenTenants: (readEnv.optional('BUDGET_CHECK_FAIL_OPEN_TENANTS') ?? '').split(',').map((tenant) => tenant.trim()).filter(Boolean),
    },
    // Off unless set outside production, so tests and development see drift only when they ask (reconcileProvider).
    reconcile: { intervalMs: readEnv.int('RECONCILE_INTERVAL_MS', shared.production ? 300_000 : 0) },
    clouds: emulatedCloudsFromEnvironment({ NOVACRON_CLOUDS: readEnv.optional('NOVACRON_CLOUDS'), NOVACRON_CLOUD_EMULATORS: readEnv.optional('NOVACRON_CLOUD_EMULATORS') }),
    worker: {
      healthPort: readEnv.int('WORKER_HEALTH_PORT', 0),
      metricsPort: readEnv.int('WORKER_METRICS_PORT', 0),
      // Operations in flight, not CPU: most of one is a wait on its cloud (a timer; no connection held,
      // its lease renewed with the others'). 200 capped a process at ≈ 100 creates/s with 1–3 s
      // transitions and ≈ 3/s with one-minute cloud boots (docs/benchmarks.md, "Plans and statistics").
      concurrency: readEnv.int('WORKER_CONCURRENCY', 1_000),
      leaseSeconds: readEnv.int('WORKER_LEASE_SECONDS', 30),
      queuedLeaseSeconds: readEnv.int('WORKER_QUEUED_LEASE_SECONDS', 300),
      sweepIntervalMs: readEnv.int('WORKER_SWEEP_INTERVAL_MS', 5_000),
      maxRedrives: readEnv.int('WORKER_MAX_REDRIVES', 10),
      retry: {
        maxAttempts: readEnv.int('WORKER_RETRY_MAX_ATTEMPTS', 5),
        baseDelayMs: readEnv.int('WORKER_RETRY_BASE_DELAY_MS', 200),
        maxDelayMs: readEnv.int('WORKER_RETRY_MAX_DELAY_MS', 5_000),
      },
      transitionTimeoutSeconds: readEnv.int('WORKER_TRANSITION_TIMEOUT_SECONDS', 600),
      pollIntervalMs: readEnv.int('WORKER_POLL_INTERVAL_MS', 1_000),
      eventSignalIntervalMs: readEnv.int('WORKER_EVENT_SIGNAL_INTERVAL_MS', 10),
      // A busy worker writes a create's instance with its success, not 1–3 s before it (docs/benchmarks.md, "Coalescing under load").
      coalescing: { above: readEnv.int('WORKER_COALESCE_ABOVE', 100), withinMs: readEnv.int('WORKER_COALESCE_WITHIN_MS', 5_000) },
      // Lower CPU priority for execution on a shared machine (docs/architecture.md, "CPU priority of execution").
      nice: readNiceEnv('WORKER_NICE', 10),
    },
  });
}
