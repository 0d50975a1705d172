import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Logger as GraphileLogger, run } from 'graphile-worker';
import { createSql } from '@novacron/db';
import { createProviderRegistry } from '@novacron/providers';
import { createServer } from 'node:http';
import { createLogger, listen, type Logger } from '@novacron/server-kit';
import type { VmsConfig } from '../config.ts';
import { createDatabase } from '../db/createDatabase.ts';
import { createCredentialsLoader } from '../domain/loadProviderCredentials.ts';
import { loadCredentialKeys } from '../loadCredentialKeys.ts';
import { runOperationTask } from '../domain/enqueueOperation.ts';
import { executeOperation } from './executeOperation.ts';
import { pruneEvents } from '../domain/pruneEvents.ts';
import { sweepExpiredLeases } from './sweepExpiredLeases.ts';
import { createEventSignaller, deferredEventSignals } from './createEventSignaller.ts';
import { createLeaseKeeper } from './startLeaseHeartbeat.ts';
import { createWorkerTelemetry } from './createWorkerTelemetry.ts';
import { startWhenDatabaseAnswers } from './startWhenDatabaseAnswers.ts';
import { survivePostgresOutage } from './survivePostgresOutage.ts';
import type { WorkerContext } from './WorkerContext.ts';
import { createProviderBreakers } from './createProviderBreakers.ts';
import { startYieldingToAccepting } from './yieldToAccepting.ts';
import { createSubgraphClient, loadSubgraphSecurity, lowerBackends } from '@novacron/subgraph-kit';

/**
 * Five consecutive failing calls open a provider's breaker for five seconds: long enough to stop
 * hammering a provider in trouble, shorter than retryTransient's backoff ceiling, so a waiting
 * operation's next attempt is usually the probe.
 */
const providerBreakerOptions = { consecutiveFailures: 5, halfOpenAfterMs: 5_000 };

/** A running worker process's handle. */
export interface RunningWorker {
  workerId: string;
  /** Where /health and /ready answer. */
  healthUrl: string;
  /** The Prometheus `/metrics` endpoint. */
  metricsUrl: string;
  /** Whether the worker yields to accepting now, and operations running / held (absent: it never yields). */
  yielding?: () => { yielding: boolean; running: number; waiting: number };
  stop(): Promise<void>;
}

/** `application_name` of the worker's own pool and of graphile-worker's (job fetch and completion). */
export const workerApplicationNames = ['novacron-vms-worker', 'novacron-vms-jobs'] as const;

/** Options for {@link startWorker} that belong to a worker process, not to a worker started inside another (tests). */
export interface WorkerProcessOptions {
  /**
   * Lower the CPU priority of this worker's Postgres backends to this nice value when the database
   * runs on the same machine (`WORKER_NICE`; workerMain.ts lowers the process itself).
   */
  backendNice?: number;
  /** Move those backends into this CPU cgroup too (`BACKGROUND_CGROUP`; workerMain.ts moves the process itself). */
  backendCgroup?: string;
}

/**
 * Starts an operation worker: a graphile-worker runner executing `vms.run_operation` jobs, plus the
 * lease sweeper that re-drives operations whose worker died. Expects migrations to have run.
 */
export async function startWorker(config: VmsConfig, logger: Logger = createLogger('vms-worker'), processOptions: WorkerProcessOptions = {}): Promise<RunningWorker> {
  const workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  // Its connections leave the event triggers' NOTIFY to the worker's signaller (one per interval, not one per write).
  const sql = createSql(config.databaseUrl, { max: workerSqlPoolSize(config.worker.concurrency), applicationName: workerApplicationNames[0], settings: deferredEventSignals });
  const db = createDatabase(sql);
  const eventSignals = createEventSignaller(sql, { intervalMs: config.worker.eventSignalIntervalMs, logger });
  const providers = createProviderRegistry({
    sql,
    latencyMs: config.simulated.latencyMs,
    capacityPerRegion: config.simulated.capacityPerRegion,
    emulated: config.clouds,
    // Production fails at start on missing keys; development makes its key only when a tenant stored credentials.
    loadCredentials: createCredentialsLoader(db, config.production ? await loadCredentialKeys(config) : () => loadCredentialKeys(config)),
  });
  const stopping = new AbortController();
  const telemetry = createWorkerTelemetry(config, sql);
  const context: WorkerContext = {
    telemetry: telemetry.operations,
    db,
    providers,
    logger,
    workerId,
    leaseSeconds: config.worker.leaseSeconds,
    leases: createLeaseKeeper(db, config.worker.leaseSeconds, logger),
    coalescing: config.worker.coalescing,
    eventSignals,
    retry: config.worker.retry,
    breakers: createProviderBreakers(providerBreakerOptions),
    maxRedrives: config.worker.maxRedrives,
    signal: stopping.signal,
    transitionTimeoutSeconds: config.worker.transitionTimeoutSeconds,
    placement: config.subgraphUrls.placement ? createSubgraphClient(config.subgraphUrls, await loadSubgraphSecurity(config)) : undefined,
  };
  const yielding = config.acceptPressure
    ? await startYieldingToAccepting(sql, {
        concurrency: config.acceptPressure.workerConcurrency,
        holdMs: config.acceptPressure.holdMs,
        onChange: (on) => logger.debug({ yielding: on }, on ? 'accepting is slow: starting fewer operations' : 'accepting recovered: starting operations again'),
      })
    : null;
  const stopSurvivingOutages = survivePostgresOutage(logger);
  const runner = await startWhenDatabaseAnswers(() => run({
    connectionString: withApplicationName(config.databaseUrl, workerApplicationNames[1]),
    concurrency: config.worker.concurrency,
    // One connection more than the job slots (capped): graphile-worker's LISTEN holds one for good,
    // so a pool of `concurrency` connections left WORKER_CONCURRENCY=1 with none to take jobs.
    maxPoolSize: workerPoolSize(config.worker.concurrency),
    pollInterval: config.worker.pollIntervalMs,
    noHandleSignals: true,
    logger: graphileLogger(logger),
    preset: { worker: jobBatching(config.worker.concurrency) },
    taskList: {
      [runOperationTask]: async (payload) => {
        const operationId = (payload as { operationId?: unknown }).operationId;
        if (typeof operationId !== 'string') throw new Error('job payload has no operationId');
        await (yielding ? yielding.gate(() => executeOperation(context, operationId)) : executeOperation(context, operationId));
      },
    },
  }), { logger, signal: stopping.signal });
  let sweeping = false;
  const sweeper = setInterval(async () => {
    if (sweeping) return;
    sweeping = true;
    try {
      const result = await sweepExpiredLeases(db, { leaseSeconds: config.worker.leaseSeconds, queuedLeaseSeconds: config.worker.queuedLeaseSeconds });
      if (result.redriven.length > 0 || result.requeued.length > 0) eventSignals.written();
      if (result.redriven.length > 0) logger.warn({ operations: result.redriven }, 're-drove operations whose worker died');
      if (result.requeued.length > 0) logger.warn({ operations: result.requeued }, 'gave waiting operations a new job (theirs was lost or held by a dead worker)');
      telemetry.swept(result);
    } catch (error) {
      logger.warn({ err: error }, 'lease sweep failed; will try again');
    } finally {
      sweeping = false;
    }
  }, config.worker.sweepIntervalMs);
  const pruner = setInterval(async () => {
    try {
      const pruned = await pruneEvents(db, config.events.retentionSeconds);
      if (Object.values(pruned).some((count) => count > 0)) logger.info({ pruned }, 'pruned events past the retention window');
    } catch (error) {
      logger.warn({ err: error }, 'event pruning failed; will try again');
    }
  }, config.events.pruneIntervalMs);
  pruner.unref();
  const health = await listen(
    createServer(async (request, response) => {
      const path = new URL(request.url ?? '/', 'http://localhost').pathname;
      const ready = path === '/ready' ? await sql`select 1`.then(() => true, () => false) : true;
      response.statusCode = path === '/health' || path === '/ready' ? (ready ? 200 : 503) : 404;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ status: response.statusCode === 200 ? 'ok' : 'unavailable', workerId }));
    }),
    config.worker.healthPort,
    config.host,
    '/health',
  );
  const metricsServer = await telemetry.listen();
  const backendPriority = processOptions.backendNice
    ? lowerBackends(logger, { sql, applicationNames: workerApplicationNames, nice: processOptions.backendNice, cgroup: processOptions.backendCgroup ?? null, whose: "the worker's" })
    : null;
  logger.info({ workerId, concurrency: config.worker.concurrency, health: health.url, metrics: metricsServer.url }, 'operation worker started');
  return {
    workerId,
    healthUrl: health.url,
    metricsUrl: metricsServer.url,
    ...(yielding ? { yielding: () => yielding.stats() } : {}),
    stop: async () => {
      await health.close();
      await metricsServer.close();
      clearInterval(sweeper);
      clearInterval(pruner);
      backendPriority?.stop();
      stopping.abort(new Error('worker stopping'));
      await yielding?.stop();
      await runner.stop();
      context.leases?.stop();
      await eventSignals.stop();
      await sql.end({ timeout: 5 });
      stopSurvivingOutages();
      logger.info({ workerId }, 'operation worker stopped');
    },
  };
}

/** The database URL with `application_name` set (graphile-worker's pg pool reads it from the URL). */
function withApplicationName(databaseUrl: string, name: string): string {
  const url = new URL(databaseUrl);
  url.searchParams.set('application_name', name);
  return url.toString();
}

/**
 * graphile-worker's local queue (docs/benchmarks.md, "Worker: cheaper executed creates"): without it
 * each job slot asked the database for a job on every new-job notification and after every job
 * (about four job queries per executed create, most of them finding nothing); the local queue
 * fetches jobs for the whole pool, and a failed fetch is retried at the next poll. Safe for
 * operations: a job locked in the local queue of a worker that died is given to another worker by
 * the lease sweeper (as for a worker killed between taking a job and claiming its operation), and a
 * job that runs again finds its operation claimed or finished. Completions are not batched
 * (`completeJobBatchDelay`): a batch that meets a database error shuts the whole pool down
 * (docs/reliability.md, "The operation worker through a PostgreSQL restart").
 */
export function jobBatching(concurrency: number): { localQueue?: { size: number } } {
  return concurrency > 1 ? { localQueue: { size: Math.min(concurrency, 32) } } : {};
}

/**
 * The worker's own pool: 2 to 4 connections (concurrency / 50). A job slot holds a connection only
 * for the length of one statement (a create waits on the provider far longer than on Postgres), and
 * a statement takes ≈ 0.3–0.4 ms: 300 executed creates a second keep about 0.6 of a connection busy.
 * It was up to 40: with 200 slots, 10–15 backends at a time queued on the lock Postgres takes to
 * commit a transaction that NOTIFYs, and that convoy cost more CPU than the statements themselves
 * (10 connections cut the worker side of an executed create from 6.8 to 4.4 ms). Since the worker
 * signals the streams itself (its connections defer the trigger's NOTIFY) there is no convoy, and
 * fewer backends still cost less: postgres.js hands a query to the longest-idle connection, so every
 * backend of the pool takes turns, each with its own plan cache to rebuild after every ANALYZE and
 * caches gone cold on a 2-core machine; with all connections busy it pipelines on them instead. 4
 * connections against 10 used 10–13 % less CPU in the worker's backends at 150 and 300 creates/s,
 * with the same throughput and backlog (docs/benchmarks.md, "The worker's pool").
 */
export function workerSqlPoolSize(concurrency: number): number {
  return Math.min(4, Math.max(2, Math.ceil(concurrency / 50)));
}

/** graphile-worker's pool: a connection per job slot plus its LISTEN connection, at most 21. */
export function workerPoolSize(concurrency: number): number {
  return Math.min(20, Math.max(1, concurrency)) + 1;
}

function graphileLogger(logger: Logger): GraphileLogger {
  return new GraphileLogger(() => (level, message, meta) => {
    const method = level === 'error' ? 'error' : level === 'warning' ? 'warn' : 'debug';
    logger[method]({ graphile: meta }, message);
  });
}
