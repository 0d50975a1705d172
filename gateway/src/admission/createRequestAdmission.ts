import type { IncomingMessage, ServerResponse } from 'node:http';
import { bulkhead, isBulkheadRejectedError, type BulkheadPolicy } from 'cockatiel';
import { httpStatusFor } from '@novacron/errors';
import { createLatencyLimit, type LatencyLimit } from './createLatencyLimit.ts';

/** Limits of {@link createRequestAdmission}. */
export interface RequestAdmissionOptions {
  /** GraphQL requests served at once (0: no admission control). */
  maxInFlight: number;
  /** Requests waiting for a slot; one more is refused at once. */
  maxQueued: number;
  /** A waiting request that gets no slot within this long is refused (its client would rather retry). */
  maxQueueMs: number;
  /** What `Retry-After` / `extensions.retryAfterSeconds` tells a refused client. */
  retryAfterSeconds: number;
  /**
   * When set, the requests inside (served and waiting) are held to an adaptive limit between
   * `minInside` and `maxInFlight + maxQueued`, steered so that the gateway's latency stays near this
   * target (createLatencyLimit.ts); one arriving beyond it is refused at once (LATENCY_LIMIT).
   * 0 or absent: the fixed limits alone.
   */
  latencyTargetMs?: number;
  /** The adaptive limit's floor (default 2). */
  minInside?: number;
  /** Called for every refusal, with its reason (QUEUE_FULL, QUEUE_TIMEOUT, LATENCY_LIMIT): the Prometheus counter. */
  onRefused?: (reason: AdmissionRefusalReason) => void;
}

/** Why the gateway refused a request. */
export type AdmissionRefusalReason = 'QUEUE_FULL' | 'QUEUE_TIMEOUT' | 'LATENCY_LIMIT';

/** Admission control in front of the GraphQL endpoint. */
export interface RequestAdmission {
  /**
   * Serves the request through `serve` when a slot is free (or frees within the queue bound), holding
   * the slot until the response is finished or the client went away; otherwise answers HTTP 503
   * with `Retry-After` and an `OVERLOADED` GraphQL error, without reading the body.
   */
  handle(request: IncomingMessage, response: ServerResponse, serve: () => void): void;
  /**
   * Names the operation an admitted request runs (its document's hash), once the GraphQL pipeline
   * knows it: the adaptive limit judges the request's latency above that operation's floor.
   */
  noteOperation(request: IncomingMessage, operation: string): void;
  stats(): {
    inFlight: number;
    queued: number;
    /** The adaptive limit on requests inside; null: fixed limits only. */
    limit: number | null;
    /** Operations the adaptive limit has learned a floor for; null: fixed limits only. */
    operationFloors: number | null;
    refused: Record<AdmissionRefusalReason, number>;
  };
}

/**
 * Offered more than it can serve, the gateway used to take every request and queue it in front of
 * the subgraphs, so a refusal (or an answer) came seconds later (issue 14: refusals p95 22.7 s at
 * 600 createVM/s). A bulkhead (cockatiel, as the subgraph breakers) bounds the requests in flight
 * and the queue in front of them, and a queue-time bound refuses a request that waited too long: the
 * excess is refused at once, before its body is read, and the admitted requests keep their latency.
 * Fixed limits did not keep it when the CPU is shared with the workers (accepted p95 157 ms at 2 × the
 * sustainable createVM rate with 16 slots): with `latencyTargetMs` the requests let in follow an
 * adaptive limit steered by their measured latency, in front of the bulkhead's fixed ceiling.
 */
export function createRequestAdmission(options: RequestAdmissionOptions): RequestAdmission {
  const policy: BulkheadPolicy | null = options.maxInFlight > 0 ? bulkhead(options.maxInFlight, options.maxQueued) : null;
  const refused: Record<AdmissionRefusalReason, number> = { QUEUE_FULL: 0, QUEUE_TIMEOUT: 0, LATENCY_LIMIT: 0 };
  const limit: LatencyLimit | null =
    policy && options.latencyTargetMs
      ? createLatencyLimit({ targetMs: options.latencyTargetMs, min: Math.max(1, options.minInside ?? 2), max: options.maxInFlight + options.maxQueued })
      : null;
  let inside = 0;
  const operations = new WeakMap<IncomingMessage, string>();
  const body = (reason: AdmissionRefusalReason) =>
    JSON.stringify({
      errors: [
        {
          message: 'the gateway is at capacity; the request was not executed, retry after the indicated time',
          extensions: { code: 'OVERLOADED', reason, retryAfterSeconds: options.retryAfterSeconds },
        },
      ],
    });
  const refuse = (request: IncomingMessage, response: ServerResponse, reason: AdmissionRefusalReason) => {
    refused[reason] += 1;
    options.onRefused?.(reason);
    if (response.headersSent || response.destroyed) return;
    const text = body(reason);
    // The unread body is discarded, so the keep-alive connection stays usable for the retry.
    request.resume();
    response.writeHead(httpStatusFor('OVERLOADED'), {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'retry-after': String(options.retryAfterSeconds),
    });
    response.end(text);
  };
  return {
    handle(request, response, serve) {
      if (!policy) {
        serve();
        return;
      }
      const insideAtArrival = inside;
      if (limit && insideAtArrival >= limit.current) {
        refuse(request, response, 'LATENCY_LIMIT');
        return;
      }
      const arrivedAt = performance.now();
      inside += 1;
      const waited = new AbortController();
      let started = false;
      let timer: NodeJS.Timeout | undefined;
      const closed = new Promise<void>((resolve) => response.once('close', resolve));
      // Every request that got in leaves once: its latency (waiting included) steers the limit.
      void closed.then(() => {
        inside -= 1;
        if (started) limit?.record(performance.now() - arrivedAt, insideAtArrival, operations.get(request));
      });
      // A client that leaves while queued gives its place up (cockatiel drops an aborted task at its turn).
      void closed.then(() => {
        if (!started) waited.abort();
      });
      const admitted = policy.execute(async () => {
        started = true;
        clearTimeout(timer);
        if (response.destroyed || response.writableEnded) return;
        serve();
        await closed;
      }, waited.signal);
      if (!started && options.maxQueueMs > 0) {
        timer = setTimeout(() => {
          if (started) return;
          waited.abort();
          refuse(request, response, 'QUEUE_TIMEOUT');
        }, options.maxQueueMs);
      }
      admitted.catch((error: unknown) => {
        clearTimeout(timer);
        if (isBulkheadRejectedError(error)) refuse(request, response, 'QUEUE_FULL');
        // Otherwise the task was cancelled (timed out or the client left): already answered or gone.
      });
    },
    noteOperation(request, operation) {
      if (limit) operations.set(request, operation);
    },
    stats: () => ({
      inFlight: policy ? options.maxInFlight - policy.executionSlots : 0,
      queued: policy ? options.maxQueued - policy.queueSlots : 0,
      limit: limit ? limit.current : null,
      operationFloors: limit ? limit.operations : null,
      refused: { ...refused },
    }),
  };
}
