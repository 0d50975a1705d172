import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { freePort } from './freePort.ts';

/** A real redis-server for one test file. */
export interface TestRedis extends AsyncDisposable {
  url: string;
  port: number;
  /** Stops the server (as an outage would); `start` brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** True when Debian's `redis-server` is installed (CI installs it; see .ci/run). */
export const redisServerInstalled = spawnSync('redis-server', ['--version']).status === 0;

/** Starts `redis-server` on a free port with persistence off, and waits until it accepts connections. */
export async function startRedis(): Promise<TestRedis> {
  if (!redisServerInstalled) throw new Error('redis-server is not installed: apt-get install redis-server (CI does this in .ci/run)');
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let output = '';
      child?.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes('Ready to accept connections')) resolve();
      });
      child?.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
    });
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGKILL');
    await exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, port, stop, start, [Symbol.asyncDispose]: stop };
}
