import type { Sql } from '@novacron/db';
import { createHealthScore, createMetrics, createOperationTelemetry, startMetricsServer, type Metrics, type OperationTelemetry, type RunningMetricsServer } from '@novacron/telemetry';
import type { VmsConfig } from '../config.ts';
import type { SweepResult } from './sweepExpiredLeases.ts';

/** A worker process's metrics and the hooks that feed them; kept apart from the worker's logic. */
export interface WorkerTelemetry {
  metrics: Metrics;
  /** Spans and metrics around executions, steps and provider calls (goes into the WorkerContext). */
  operations: OperationTelemetry;
  /** Counts what one lease sweep found. */
  swept(result: SweepResult): void;
  /** Serves `/metrics` on the worker's metrics port. */
  listen(): Promise<RunningMetricsServer>;
}

/** Creates the worker's telemetry; the health score's lag is how long the oldest queued operation has waited. */
export function createWorkerTelemetry(config: VmsConfig, sql: Sql): WorkerTelemetry {
  const metrics = createMetrics({ service: 'vms-worker' });
  metrics.declare('leaseExpiries', 'operationRedrives');
  const health = createHealthScore({
    metrics,
    component: 'vms-worker',
    ready: () => sql`select 1`.then(() => true),
    lagSeconds: async () => {
      const [row] = await sql<{ seconds: number }[]>`
        select coalesce(extract(epoch from now() - min(created_at)), 0)::float8 as seconds from vms.operations where status = 'QUEUED'`;
      return row?.seconds ?? 0;
    },
    // Queue waits of a few seconds are normal under load (docs/benchmarks.md); only longer ones cost.
    lagAllowanceSeconds: 5,
  });
  return {
    metrics,
    operations: createOperationTelemetry(metrics, health),
    swept(result) {
      metrics.inc('leaseExpiries', { outcome: 'redriven' }, result.redriven.length);
      // A lost or orphaned job of a waiting operation: requeued, never counted against it.
      metrics.inc('leaseExpiries', { outcome: 'requeued' }, result.requeued.length);
      metrics.inc('operationRedrives', {}, result.redriven.length);
    },
    listen: () => startMetricsServer({ metrics, port: config.worker.metricsPort, host: config.host }),
  };
}
