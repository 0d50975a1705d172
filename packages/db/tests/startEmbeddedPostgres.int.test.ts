import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort } from '@novacron/testing';

describe('startEmbeddedPostgres', () => {
  it('leaves the process exit code alone, so a failing run still fails', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/startAndExit.ts', import.meta.url));
    const child = spawn(process.execPath, [fixture, String(await freePort())], { stdio: 'inherit' });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(3);
  });
});
