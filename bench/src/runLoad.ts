import { Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import { postJson } from './postJson.ts';

/** Options for {@link runLoad}. */
export interface LoadOptions<T> {
  /** The GraphQL endpoint (plain http). */
  url: string;
  /** Requests to send in total. */
  count: number;
  /** Clients (and sockets); each sends its next request when its previous one answered. */
  concurrency: number;
  /**
   * Open loop: request `i` is due at `i / ratePerSecond` s after the start, and its latency counts
   * from then, so time spent waiting for a free client is included (no coordinated omission).
   * Undefined: closed loop, each client sends as soon as it can.
   */
  ratePerSecond?: number;
  requestTimeoutMs: number;
  /** Sent with every request (authorization, …). */
  headers?: Record<string, string>;
  /** The JSON body of request `index` (0-based). */
  body: (index: number) => string;
  /** Turns a parsed response into the request's outcome, or an Error when it was not accepted. */
  accept: (payload: unknown, index: number) => T | Error;
  /**
   * An untimed request each client sends first, so every client starts the timed part on an open
   * keep-alive socket; otherwise a short phase's tail is mostly 200 TCP connects landing at once.
   */
  primeBody?: string;
}

/** What a load phase measured. Latencies are of accepted requests only, in ms, in completion order. */
export interface LoadResult<T> {
  latenciesMs: number[];
  /** When each accepted request was due (open loop) or sent, in ms from `startedAt`; parallel to `latenciesMs`. */
  acceptedAtMs: number[];
  /** Outcome per request index; `undefined` where the request failed. */
  outcomes: (T | undefined)[];
  /** Indexes of failed requests (HTTP error, GraphQL error, timeout, connection error). */
  failedIndexes: number[];
  /** Latency of the failed requests that got an answer (a refusal's latency: OVERLOADED must be quick). */
  failedLatenciesMs: number[];
  /** The first few distinct error messages, with how often each occurred. */
  errorSamples: Map<string, number>;
  /** From the first request sent to the last response received. */
  wallMs: number;
  startedAt: number;
  finishedAt: number;
}

const maxDistinctErrors = 10;

/**
 * A non-200 answer as an error: its GraphQL error (so an HTTP 503 OVERLOADED still reads `OVERLOADED: …`)
 * with the status and `Retry-After` appended, or the status and body when it carries none.
 */
function refusal(accepted: unknown, status: number, retryAfter: string | undefined, text: string): Error {
  const suffix = ` [HTTP ${status}${retryAfter === undefined ? ', no Retry-After' : `, Retry-After ${retryAfter}`}]`;
  return accepted instanceof Error ? new Error(`${accepted.message}${suffix}`) : new Error(`HTTP ${status}: ${text.slice(0, 200)}${suffix}`);
}

/**
 * A closed-loop (or, with `ratePerSecond`, open-loop) load generator on `node:http` with keep-alive sockets, one per client: far cheaper
 * per request than `fetch`, so less of the shared CPU goes to the generator. Latency is measured
 * with `performance.now()` from just before the request is written (open loop: from when it was
 * due) until its body has been read.
 */
export async function runLoad<T>(options: LoadOptions<T>): Promise<LoadResult<T>> {
  const url = new URL(options.url);
  // A fresh agent per phase: sockets idle between phases would be closed by the server's
  // keep-alive timeout, and reusing one just as it closes turns into a spurious ECONNRESET.
  // FIFO hands out every socket in turn: with LIFO (Node's default) an open loop leaves some idle
  // past the server's 5 s keep-alive timeout, and reusing one as the server closes it is an ECONNRESET.
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency, maxFreeSockets: options.concurrency, scheduling: 'fifo' });
  const latenciesMs: number[] = [];
  const acceptedAtMs: number[] = [];
  const outcomes: (T | undefined)[] = new Array(options.count);
  const failedIndexes: number[] = [];
  const failedLatenciesMs: number[] = [];
  const errorSamples = new Map<string, number>();
  const fail = (index: number, message: string, latencyMs?: number) => {
    failedIndexes.push(index);
    if (latencyMs !== undefined) failedLatenciesMs.push(latencyMs);
    if (errorSamples.has(message) || errorSamples.size < maxDistinctErrors) errorSamples.set(message, (errorSamples.get(message) ?? 0) + 1);
  };

  let next = 0;
  let startedAt = 0;
  const client = async () => {
    for (;;) {
      const index = next;
      if (index >= options.count) return;
      next += 1;
      const body = options.body(index);
      const dueAt = options.ratePerSecond === undefined ? undefined : startedAt + (index * 1000) / options.ratePerSecond;
      const wait = dueAt === undefined ? 0 : dueAt - performance.now();
      if (wait > 0) await new Promise((done) => setTimeout(done, wait));
      const sentAt = dueAt ?? performance.now();
      try {
        const { status, text, retryAfter } = await postJson(agent, url, body, options.requestTimeoutMs, options.headers);
        const elapsed = performance.now() - sentAt;
        let payload: unknown;
        try {
          payload = JSON.parse(text);
        } catch {
          fail(index, `HTTP ${status}: unparseable body ${text.slice(0, 120)}`);
          continue;
        }
        const outcome = status === 200 ? options.accept(payload, index) : refusal(options.accept(payload, index), status, retryAfter, text);
        if (outcome instanceof Error) {
          fail(index, outcome.message, elapsed);
          continue;
        }
        outcomes[index] = outcome;
        latenciesMs.push(elapsed);
        acceptedAtMs.push(sentAt - startedAt);
      } catch (error) {
        fail(index, error instanceof Error ? `${(error as NodeJS.ErrnoException).code ?? error.name}: ${error.message}` : String(error));
      }
    }
  };

  if (options.primeBody !== undefined) {
    const primeBody = options.primeBody;
    await Promise.all(Array.from({ length: Math.min(options.concurrency, options.count) }, () => postJson(agent, url, primeBody, options.requestTimeoutMs, options.headers)));
  }
  startedAt = performance.now();
  await Promise.all(Array.from({ length: Math.min(options.concurrency, options.count) }, client));
  const finishedAt = performance.now();
  agent.destroy();
  return { latenciesMs, acceptedAtMs, outcomes, failedIndexes, failedLatenciesMs, errorSamples, wallMs: finishedAt - startedAt, startedAt, finishedAt };
}
