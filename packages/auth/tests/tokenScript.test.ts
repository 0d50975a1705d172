import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createUserTokenVerifier, developmentAudience, developmentIssuer, developmentJwks, ensureDevelopmentKeys } from '../src/index.ts';

const script = fileURLToPath(new URL('../../../scripts/token.ts', import.meta.url));
let folder: string;

beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'novacron-token-'));
});

afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

function runScript(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd: folder, env: { ...process.env, NOVACRON_KEYS_DIR: join(folder, 'keys') } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('scripts/token.ts', () => {
  it('prints a development token that the development verifier accepts', async () => {
    const result = await runScript(['--tenant', 'acme', '--role', 'operator', '--subject', 'alice', '--ttl', '600']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const keys = await ensureDevelopmentKeys(join(folder, 'keys'));
    const verify = createUserTokenVerifier({ issuer: developmentIssuer, audience: developmentAudience, jwks: developmentJwks(keys) });
    const identity = await verify(result.stdout.trim());
    expect(identity).toMatchObject({ subject: 'alice', tenantId: 'acme', roles: ['operator'] });
    expect(identity.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(600_000);
    expect((await stat(join(folder, 'keys', 'user-token.private.pem'))).mode & 0o777).toBe(0o600);
  });

  it('exits non-zero with the usage for an unknown role', async () => {
    const result = await runScript(['--tenant', 'acme', '--role', 'root']);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/viewer, operator or admin/);
    expect(result.stderr).toMatch(/^usage:/m);
  });

  it('exits non-zero with the usage when the tenant is missing or malformed', async () => {
    for (const args of [['--role', 'viewer'], ['--tenant', 'ACME', '--role', 'viewer'], ['--tenant', 'acme', '--role', 'viewer', '--ttl', '-5'], ['--tenant', 'acme', '--role', 'viewer', '--bogus']]) {
      const result = await runScript(args);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/^usage:/m);
    }
  });
});
