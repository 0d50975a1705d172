import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { randomBytes } from 'node:crypto';

/** What {@link captureStatements} hands a test. */
export interface StatementCapture {
  /** A fresh `traceparent` header: send it with one request, then read that request's statements. */
  newTrace(): { traceparent: string; traceId: string };
  /** The SQL statements (text without values) a traced request ran, in the order they finished. */
  statementsOf(traceId: string): string[];
  /** Removes the global tracer, propagator and context manager. */
  stop(): void;
}

/**
 * Records the SQL statements each traced request runs in this process, through the client spans
 * `@novacron/db` makes for every query inside a request's server span (no query hook exists in
 * postgres.js). A test starts a server in-process, sends a request with `newTrace().traceparent`, and
 * counts `statementsOf(traceId)`: a bound on database round trips per request that cannot drift.
 */
export function captureStatements(): StatementCapture {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return {
    newTrace() {
      const traceId = randomBytes(16).toString('hex');
      return { traceId, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
    },
    statementsOf(traceId) {
      return exporter
        .getFinishedSpans()
        .filter((span) => span.spanContext().traceId === traceId && span.attributes['db.system.name'] === 'postgresql')
        .map((span) => String(span.attributes['db.query.text'] ?? ''));
    },
    stop() {
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
