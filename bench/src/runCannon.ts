import autocannon from 'autocannon';

/** Options for {@link runCannon}. */
export interface CannonOptions {
  url: string;
  /** Requests to send in total. */
  count: number;
  /** Connections, each a closed-loop client: it sends its next request when its previous one answered. */
  concurrency: number;
  headers: Record<string, string>;
  body: string;
  /**
   * The exact response body every request must get (taken from a request sent before the series);
   * any other body, a non-2xx status, an error or a timeout counts as failed.
   */
  expectBody: string;
  requestTimeoutSeconds?: number;
}

/** What a series measured: latencies (ms, hrtime-based, of matching answers) and failures. */
export interface CannonResult {
  latenciesMs: number[];
  perSecond: number;
  failed: number;
  /** A few words on the failures, when there were any. */
  failures: string[];
}

/**
 * A closed-loop series with autocannon: its own HTTP/1.1 client on raw keep-alive sockets costs about
 * 30 µs of CPU per request against `runLoad`'s ~95 µs (node:http client and a JSON parse of every
 * answer; measured against the same loopback server), and on this 2-core machine the generator's CPU
 * is taken from the servers it measures. Answers are checked by exact comparison with `expectBody`
 * instead of being parsed. Latencies come from autocannon's per-response duration (hrtime), not
 * its whole-millisecond histogram.
 */
export async function runCannon(options: CannonOptions): Promise<CannonResult> {
  const latenciesMs: number[] = [];
  let done!: (outcome: { error: unknown; result: autocannon.Result }) => void;
  const finished = new Promise<{ error: unknown; result: autocannon.Result }>((resolve) => (done = resolve));
  const started = performance.now();
  const instance = autocannon({
    url: options.url,
    method: 'POST',
    headers: { ...options.headers, 'content-type': 'application/json' },
    body: options.body,
    connections: options.concurrency,
    amount: options.count,
    timeout: options.requestTimeoutSeconds ?? 30,
    expectBody: options.expectBody,
  }, (error, result) => done({ error, result }));
  let mismatches = 0;
  let sample: string | undefined;
  // autocannon ends a run on its next 1 s sampling tick: the rate is over the span of the answers.
  let lastAnswer = started;
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    lastAnswer = performance.now();
    if (statusCode >= 200 && statusCode < 300) latenciesMs.push(responseTime);
  });
  // autocannon reports a mismatch right after (same tick) the response it recorded: that latency is not of an accepted answer.
  (instance as unknown as NodeJS.EventEmitter).on('mismatch', (body: string) => {
    mismatches += 1;
    latenciesMs.pop();
    sample ??= body.slice(0, 300);
  });
  const { error, result } = await finished;
  if (error) throw error;
  const wallMs = lastAnswer - started;
  const failed = result.errors + result.timeouts + result.non2xx + mismatches;
  const failures = failed === 0 ? [] : [`errors ${result.errors}, timeouts ${result.timeouts}, non-2xx ${result.non2xx}, unexpected bodies ${mismatches}${sample ? ` (first: ${sample})` : ''}`];
  return { latenciesMs, perSecond: (latenciesMs.length / wallMs) * 1000, failed, failures };
}
