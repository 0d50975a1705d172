import { SpanKind } from '@opentelemetry/api';
import type { HealthScore } from './createHealthScore.ts';
import type { Metrics } from './createMetrics.ts';
import { linkToTraceContext, withSpan } from './spans.ts';

/** What the worker knows about an operation it executes. */
export interface TracedOperation {
  id: string;
  kind: string;
  provider: string;
  region: string;
  createdAt: Date;
  /** The accepting request's trace context, stored on the operation row. */
  traceContext: string | null;
}

/** How an execution ended; `null` when this worker did not finish it (lease lost, still running). */
export interface OperationOutcome {
  status: string;
  finishedAt: Date | null;
}

/** Metrics and spans for the operation worker. */
export interface OperationTelemetry {
  /** Wraps a provider driver: each API call is counted, timed and traced (errors by transient or not). */
  driver<T extends object>(driver: T, provider: string): T;
  /**
   * Runs one operation's execution in a span linked to the mutation that accepted it, and, when the
   * execution ends in a terminal state, counts it and observes its duration (accepted → finished).
   */
  execution<T>(operation: TracedOperation, work: () => Promise<T>, outcome: () => OperationOutcome | null): Promise<T>;
  /** Runs one step of an operation in its own span. */
  step<T>(name: string, work: () => Promise<T>): Promise<T>;
}

const terminal = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/** Driver methods that call the provider's API; the rest (validate, describe, …) are local. */
export const providerApiCalls = new Set(['create', 'start', 'stop', 'reboot', 'resize', 'delete', 'get', 'findByClientToken', 'list']);

/** Telemetry that records nothing: for code paths (tests, tools) that run operations without a metrics registry. */
export const passThroughOperationTelemetry: OperationTelemetry = {
  driver: (driver) => driver,
  execution: (_operation, work) => work(),
  step: (_name, work) => work(),
};

/** Creates the worker's operation telemetry over a process's metrics; `health` learns each operation's outcome. */
export function createOperationTelemetry(metrics: Metrics, health?: HealthScore): OperationTelemetry {
  metrics.declare('vmOperations', 'operationDuration', 'providerCalls', 'providerErrors', 'providerCallDuration');
  return {
    driver(driver, provider) {
      return new Proxy(driver, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver);
          if (typeof value !== 'function' || typeof property !== 'string' || !providerApiCalls.has(property)) return value;
          return (...args: unknown[]) => {
            const labels = { provider, call: property };
            const started = performance.now();
            return withSpan(`provider ${provider}.${property}`, { 'novacron.provider': provider, 'novacron.provider.call': property }, async () => {
              metrics.inc('providerCalls', labels);
              try {
                return await (value as (...callArgs: unknown[]) => Promise<unknown>).apply(target, args);
              } catch (error) {
                const transient = (error as { transient?: unknown } | null)?.transient === true;
                metrics.inc('providerErrors', { ...labels, transient: String(transient) });
                throw error;
              } finally {
                metrics.observe('providerCallDuration', labels, (performance.now() - started) / 1000);
              }
            }, { kind: SpanKind.CLIENT });
          };
        },
      });
    },
    async execution(operation, work, outcome) {
      const attributes = { 'novacron.operation.id': operation.id, 'novacron.operation.kind': operation.kind, 'novacron.provider': operation.provider, 'novacron.region': operation.region };
      try {
        return await withSpan(`operation ${operation.kind}`, attributes, work, { kind: SpanKind.CONSUMER, links: linkToTraceContext(operation.traceContext) });
      } finally {
        const ended = outcome();
        if (ended && terminal.has(ended.status)) {
          health?.record(ended.status !== 'FAILED');
          const operationLabel = operation.kind.toLowerCase();
          metrics.inc('vmOperations', { operation: operationLabel, provider: operation.provider, status: ended.status.toLowerCase(), region: operation.region });
          const finished = ended.finishedAt ?? new Date();
          metrics.observe('operationDuration', { operation: operationLabel, provider: operation.provider }, Math.max(0, (finished.getTime() - operation.createdAt.getTime()) / 1000));
        }
      }
    },
    step(name, work) {
      return withSpan(`step ${name}`, { 'novacron.step': name }, work);
    },
  };
}
