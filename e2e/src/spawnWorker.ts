import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A worker running as its own OS process, as in production, so tests can SIGKILL it. */
export interface WorkerProcess {
  process: ChildProcess;
  /** The worker's /health URL. */
  healthUrl: string;
  /** The worker's Prometheus `/metrics` endpoint. */
  metricsUrl: string;
  /** Everything the worker printed, for diagnosing a failed test. */
  output(): string;
  /** SIGKILL: no clean-up, no lease release, exactly like a crashed machine. */
  kill(): Promise<void>;
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<void>;
}

const workerEntry = fileURLToPath(import.meta.resolve('@novacron/vms/worker-main'));

/**
 * Starts a subgraph's extra process (schema/subgraphs.json `processes`; by default the vms operation
 * worker) with the given environment, and waits until it logs that it started.
 */
export async function spawnWorker(env: Record<string, string>, entry = workerEntry): Promise<WorkerProcess> {
  // WORKER_NICE=0 unless a test asks: here the worker competes with the other test files, not with an
  // accept path, and lowered it would only be slower under the suite's load (npmStart.e2e.test.ts
  // checks the default).
  const child = spawn(process.execPath, [entry], { env: { ...process.env, LOG_LEVEL: 'info', WORKER_NICE: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const started = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (/"msg":"[^"]*started[^"]*"/.test(output)) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before starting:\n${output}`)));
  });
  await started;
  const healthUrl = /"health":"(http:[^"]+)"/.exec(output)?.[1] ?? '';
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    process: child,
    healthUrl,
    metricsUrl: /"metrics":"(http:[^"]+)"/.exec(output)?.[1] ?? '',
    output: () => output,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
