import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { freePort, freePortRange } from '../src/freePort.ts';

const run = promisify(execFile);
const source = fileURLToPath(new URL('../src/freePort.ts', import.meta.url));

/** Picks `count` ports in a separate process (as another vitest fork would) and returns them. */
async function pickInAnotherProcess(count: number): Promise<number[]> {
  const script = `const { freePort } = await import(${JSON.stringify(source)}); const ports = []; for (let i = 0; i < ${count}; i += 1) ports.push(await freePort()); console.log(JSON.stringify(ports));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
  return JSON.parse(stdout) as number[];
}

function bind(port: number): Promise<() => Promise<void>> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(() => new Promise((done) => server.close(() => done()))));
  });
}

describe('freePort', () => {
  it('never hands the same port to two processes, even before either binds it', async () => {
    // 300 picks each out of ~12,800 ports: without the shared reservation, an overlap is all but certain (≈ 99.9 %).
    const [first, second] = await Promise.all([pickInAnotherProcess(300), pickInAnotherProcess(300)]);
    expect(first).toHaveLength(300);
    expect(new Set(first).size).toBe(300);
    expect(first.filter((port) => second.includes(port))).toEqual([]);
    for (const port of [...first, ...second]) expect(port).toBeLessThan(32_768);
  });

  it('gives a range of consecutive ports that are free, below the ephemeral range', async () => {
    const base = await freePortRange(6);
    expect(base + 5).toBeLessThan(32_768);
    const closers = await Promise.all(Array.from({ length: 6 }, (_, index) => bind(base + index)));
    // A port of the range is not handed out again while it is reserved.
    const others = await Promise.all(Array.from({ length: 50 }, () => freePort()));
    expect(others.filter((port) => port >= base && port < base + 6)).toEqual([]);
    for (const close of closers) await close();
  });

  it('refuses a range that is not a positive count', async () => {
    await expect(freePortRange(0)).rejects.toThrow(RangeError);
  });
});
