import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort } from '@novacron/testing';
import { PortInUseError, startEmbeddedPostgres } from '../src/index.ts';

describe('startEmbeddedPostgres', () => {
  it('leaves the process exit code alone, so a failing run still fails', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/startAndExit.ts', import.meta.url));
    const child = spawn(process.execPath, [fixture, String(await freePort())], { stdio: 'inherit' });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(3);
  });

  it('says the port is taken and what to do, instead of failing with undefined', async () => {
    const port = await freePort();
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    const parent = await mkdtemp(join(tmpdir(), 'novacron-port-'));
    try {
      const error = await startEmbeddedPostgres({ dataDir: join(parent, 'data'), port, persistent: false }).then(() => null, (caught: unknown) => caught);
      expect(error).toBeInstanceOf(PortInUseError);
      expect((error as Error).message).toMatch(new RegExp(`port ${port} is already in use`));
      expect((error as Error).message).toMatch(/NOVACRON_PG_PORT=<port>/);
    } finally {
      squatter.close();
      await rm(parent, { recursive: true, force: true });
    }
  });
});
