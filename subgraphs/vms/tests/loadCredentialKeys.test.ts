import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadSubgraphSecurity } from '@novacron/subgraph-kit';
import { loadConfig } from '../src/config.ts';
import { loadCredentialKeys } from '../src/loadCredentialKeys.ts';
import { testConfig } from './support/testConfig.ts';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('subgraph security configuration', () => {
  it('refuses to start in production without the internal-token public key', async () => {
    const config = testConfig('postgres://unused@127.0.0.1:1/unused', { production: true });
    await expect(loadSubgraphSecurity(config)).rejects.toThrow(/INTERNAL_TOKEN_PUBLIC_KEY/);
  });

  it('refuses to start in production without credential keys', async () => {
    const config = testConfig('postgres://unused@127.0.0.1:1/unused', { production: true });
    await expect(loadCredentialKeys(config)).rejects.toThrow(/CREDENTIALS_KEYS/);
  });

  it.each(['staging', 'prod', 'development', ''])('runs hardened with NODE_ENV=%j unless NOVACRON_DEV=1, and so refuses to start without keys', async (nodeEnv) => {
    vi.stubEnv('DATABASE_URL', 'postgres://unused@127.0.0.1:1/unused');
    vi.stubEnv('NODE_ENV', nodeEnv);
    vi.stubEnv('NOVACRON_DEV', undefined);
    vi.stubEnv('INTERNAL_TOKEN_PUBLIC_KEY', undefined);
    vi.stubEnv('CREDENTIALS_KEYS', undefined);
    const config = loadConfig();
    expect(config.production).toBe(true);
    await expect(loadSubgraphSecurity(config)).rejects.toThrow(/production mode needs/);
    await expect(loadCredentialKeys(config)).rejects.toThrow(/production mode needs/);
  });

  it('runs in development mode only when NOVACRON_DEV=1 asks for it', () => {
    vi.stubEnv('DATABASE_URL', 'postgres://unused@127.0.0.1:1/unused');
    vi.stubEnv('NOVACRON_DEV', '1');
    vi.stubEnv('NODE_ENV', 'development');
    expect(loadConfig().production).toBe(false);
  });
});
