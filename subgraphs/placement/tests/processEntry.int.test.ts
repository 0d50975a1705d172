import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, freePort, waitFor, type TestDatabase } from '@novacron/testing';
import { createTestKeys } from './support/internalTokens.ts';

let database: TestDatabase;
let keysDir: string;

beforeAll(async () => {
  database = await createTestDatabase();
  keysDir = (await createTestKeys()).keysDir;
});
afterAll(async () => {
  await database?.drop();
});

describe('process entry', () => {
  it('serves /ready and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [fileURLToPath(new URL('../src/index.ts', import.meta.url))], {
      env: { ...process.env, DATABASE_URL: database.url, PLACEMENT_PORT: String(port), NOVACRON_KEYS_DIR: keysDir, LOG_LEVEL: 'error' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const exited = once(child, 'exit');
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/ready`).catch(() => null))?.ok === true, { timeoutMs: 60_000 });
      // A client holding a keep-alive connection (as the gateway does) must not keep the process up.
      const { Agent, request } = await import('node:http');
      const agent = new Agent({ keepAlive: true });
      await new Promise<void>((done, fail) => request({ agent, host: '127.0.0.1', port, path: '/health' }, (response) => response.resume().on('end', () => done())).on('error', fail).end());
      child.kill('SIGTERM');
      const [code] = await exited;
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
