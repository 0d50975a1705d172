import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A gateway running as its own OS process. */
export interface GatewayProcess {
  url: string;
  /** The gateway's Prometheus `/metrics` endpoint. */
  metricsUrl: string;
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

const gatewayEntry = fileURLToPath(new URL('../../gateway/src/index.ts', import.meta.url));

/**
 * Starts `gateway/src/index.ts` on a free port with the given environment and waits until it listens.
 * Development mode (`NOVACRON_DEV=1`, as `npm start` and the in-process harness run it) unless `env`
 * says otherwise: without it the gateway runs hardened and refuses to start without configured keys.
 */
export async function spawnGateway(env: Record<string, string>): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [gatewayEntry], { env: { ...process.env, LOG_LEVEL: 'info', NOVACRON_DEV: '1', ...env, GATEWAY_PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /"url":"(http:\/\/[^"]+)".*gateway listening/.exec(output);
      if (match?.[1]) resolve(match[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code} before listening:\n${output}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    metricsUrl: /"metrics":"(http:[^"]+)"/.exec(output)?.[1] ?? '',
    process: child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
