import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadSubgraphSecurity } from '@novacron/subgraph-kit';
import { loadConfig } from '../src/config.ts';
import { loadCredentialKeys } from '../src/loadCredentialKeys.ts';

afterEach(() => {
  vi.unstubAllEnvs();
});

function stubEnvironment(variables: Record<string, string | undefined>): void {
  vi.stubEnv('DATABASE_URL', 'postgres://unused@127.0.0.1:1/unused');
  for (const name of ['NOVACRON_DEV', 'NODE_ENV', 'INTERNAL_TOKEN_PUBLIC_KEY', 'INTERNAL_TOKEN_PUBLIC_KEY_FILE', 'CREDENTIALS_KEYS']) vi.stubEnv(name, undefined);
  for (const [name, value] of Object.entries(variables)) vi.stubEnv(name, value);
}

describe('production unless development mode is asked for', () => {
  it.each(['staging', 'prod', 'development', ''])('runs hardened with NODE_ENV=%j and no NOVACRON_DEV, so refuses to start without keys', async (nodeEnv) => {
    stubEnvironment({ NODE_ENV: nodeEnv });
    const config = loadConfig();
    expect(config.production).toBe(true);
    await expect(loadSubgraphSecurity(config)).rejects.toThrow(/production mode needs/);
    await expect(loadCredentialKeys(config)).rejects.toThrow(/CREDENTIALS_KEYS/);
  });

  it('runs in development mode only when NOVACRON_DEV=1 asks for it', () => {
    stubEnvironment({ NOVACRON_DEV: '1', NODE_ENV: 'development' });
    expect(loadConfig().production).toBe(false);
  });
});
