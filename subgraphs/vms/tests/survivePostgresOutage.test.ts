import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/rejectAfterOutageGuard.ts', import.meta.url));

async function runFixture(...args: string[]) {
  const child = spawn(process.execPath, [fixture, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}

describe('survivePostgresOutage', () => {
  it('keeps the worker process running through unhandled rejections caused by the database going away', async () => {
    const { code, stdout, stderr } = await runFixture();
    expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: 'still running\n', stderr: '' });
  });

  it('still ends the process on any other unhandled rejection', async () => {
    const { code, stdout, stderr } = await runFixture('bug');
    expect(code).not.toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/a bug, not an outage/);
  });
});
