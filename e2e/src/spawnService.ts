import { spawn, type ChildProcess } from 'node:child_process';

/** A NovaCron process started from its entry file, with the URLs it logged at start. */
export interface ServiceProcess {
  process: ChildProcess;
  /** The `url` field of the start log line (the GraphQL or health endpoint). */
  url: string;
  /** The `metrics` field of the start log line: its Prometheus endpoint. */
  metricsUrl: string;
  output(): string;
  /** SIGTERM and wait for a clean exit (spans and logs flushed). */
  stop(): Promise<void>;
}

/** Starts `entry` with `env` and waits for a JSON log line containing `startedMessage`. */
export async function spawnService(entry: string, env: Record<string, string>, startedMessage: string): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [entry], { env: { ...process.env, LOG_LEVEL: 'info', LOG_FORMAT: 'json', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const line = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const started = output.split('\n').find((candidate) => candidate.includes(startedMessage));
      if (started) resolve(JSON.parse(started) as Record<string, unknown>);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    // 'close', not 'exit': the output has been read by then, so the error shows why.
    child.once('close', (code) => reject(new Error(`${entry} exited with ${code} before starting:\n${output}`)));
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    process: child,
    url: String(line.url ?? line.health ?? ''),
    metricsUrl: String(line.metrics ?? ''),
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
