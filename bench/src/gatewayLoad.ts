import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { summarizeLatencies, type LatencySummary } from './summarizeLatencies.ts';

/** Options for {@link runTimedLoad}. */
export interface TimedLoadOptions {
  url: string;
  /** Closed-loop clients, each on its own keep-alive connection. */
  connections: number;
  durationMs: number;
  /** Headers of client `index`'s requests (each client may act as a different caller). */
  headers: (index: number) => Record<string, string>;
  body: string;
  /** Whether an answer counts as served (called on the raw body text). */
  accept: (text: string) => boolean;
}

/** What one timed load phase measured. */
export interface TimedLoadResult {
  requests: number;
  errors: number;
  rps: number;
  latency: LatencySummary;
  /** The first few distinct failures. */
  errorSamples: string[];
}

/**
 * A closed loop for a fixed duration on undici (one connection per client, no pipelining): latency
 * from just before a request is sent until its body has been read, of served answers only.
 */
export async function runTimedLoad(options: TimedLoadOptions): Promise<TimedLoadResult> {
  const target = new URL(options.url);
  const pool = new Pool(target.origin, { connections: options.connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const latenciesMs: number[] = [];
  const errorSamples: string[] = [];
  let errors = 0;
  const fail = (message: string) => {
    errors += 1;
    if (errorSamples.length < 5 && !errorSamples.includes(message)) errorSamples.push(message);
  };
  const startedAt = performance.now();
  const endsAt = startedAt + options.durationMs;
  const client = async (_: unknown, index: number) => {
    const headers = { 'content-type': 'application/json', ...options.headers(index) };
    while (performance.now() < endsAt) {
      const sent = performance.now();
      try {
        const response = await pool.request({ method: 'POST', path: target.pathname, headers, body: options.body });
        const text = await response.body.text();
        if (response.statusCode !== 200) fail(`HTTP ${response.statusCode}: ${text.slice(0, 200)}`);
        else if (!options.accept(text)) fail(text.slice(0, 300));
        else latenciesMs.push(performance.now() - sent);
      } catch (error) {
        fail(error instanceof Error ? error.message : String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: options.connections }, client));
  const wallMs = performance.now() - startedAt;
  await pool.close();
  return { requests: latenciesMs.length, errors, rps: (latenciesMs.length * 1000) / wallMs, latency: summarizeLatencies(latenciesMs), errorSamples };
}
