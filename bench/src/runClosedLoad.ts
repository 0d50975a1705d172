import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

/** Options for {@link runClosedLoad}. */
export interface ClosedLoadOptions<T> {
  /** The GraphQL endpoint (plain http). */
  url: string;
  /** Requests to send in total. */
  count: number;
  /** Clients; each sends its next request as soon as its previous one answered. */
  concurrency: number;
  requestTimeoutMs: number;
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
export interface ClosedLoadResult<T> {
  latenciesMs: number[];
  /** Outcome per request index; `undefined` where the request failed. */
  outcomes: (T | undefined)[];
  /** Indexes of failed requests (HTTP error, GraphQL error, timeout, connection error). */
  failedIndexes: number[];
  /** The first few distinct error messages, with how often each occurred. */
  errorSamples: Map<string, number>;
  /** From the first request sent to the last response received. */
  wallMs: number;
  startedAt: number;
  finishedAt: number;
}

const maxDistinctErrors = 10;

/**
 * A closed-loop load generator on `node:http` with keep-alive sockets, one per client: far cheaper
 * per request than `fetch`, so less of the shared CPU goes to the generator. Latency is measured
 * with `performance.now()` from just before the request is written until its body has been read.
 */
export async function runClosedLoad<T>(options: ClosedLoadOptions<T>): Promise<ClosedLoadResult<T>> {
  const url = new URL(options.url);
  // A fresh agent per phase: sockets idle between phases would be closed by the server's
  // keep-alive timeout, and reusing one just as it closes turns into a spurious ECONNRESET.
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency, maxFreeSockets: options.concurrency });
  const latenciesMs: number[] = [];
  const outcomes: (T | undefined)[] = new Array(options.count);
  const failedIndexes: number[] = [];
  const errorSamples = new Map<string, number>();
  const fail = (index: number, message: string) => {
    failedIndexes.push(index);
    if (errorSamples.has(message) || errorSamples.size < maxDistinctErrors) errorSamples.set(message, (errorSamples.get(message) ?? 0) + 1);
  };

  let next = 0;
  const client = async () => {
    for (;;) {
      const index = next;
      if (index >= options.count) return;
      next += 1;
      const body = options.body(index);
      const sentAt = performance.now();
      try {
        const { status, text } = await post(agent, url, body, options.requestTimeoutMs);
        const elapsed = performance.now() - sentAt;
        let payload: unknown;
        try {
          payload = JSON.parse(text);
        } catch {
          fail(index, `HTTP ${status}: unparseable body ${text.slice(0, 120)}`);
          continue;
        }
        const outcome = status === 200 ? options.accept(payload, index) : new Error(`HTTP ${status}: ${text.slice(0, 200)}`);
        if (outcome instanceof Error) {
          fail(index, outcome.message);
          continue;
        }
        outcomes[index] = outcome;
        latenciesMs.push(elapsed);
      } catch (error) {
        fail(index, error instanceof Error ? `${(error as NodeJS.ErrnoException).code ?? error.name}: ${error.message}` : String(error));
      }
    }
  };

  if (options.primeBody !== undefined) {
    const primeBody = options.primeBody;
    await Promise.all(Array.from({ length: Math.min(options.concurrency, options.count) }, () => post(agent, url, primeBody, options.requestTimeoutMs)));
  }
  const startedAt = performance.now();
  await Promise.all(Array.from({ length: Math.min(options.concurrency, options.count) }, client));
  const finishedAt = performance.now();
  agent.destroy();
  return { latenciesMs, outcomes, failedIndexes, errorSamples, wallMs: finishedAt - startedAt, startedAt, finishedAt };
}

function post(agent: Agent, url: URL, body: string, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), accept: 'application/json' },
        timeout: timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(Object.assign(new Error(`no response within ${timeoutMs} ms`), { code: 'TIMEOUT' })));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
