import { describe, expect, it } from 'vitest';
import { loadSubgraphSecurity } from '@novacron/subgraph-kit';
import { loadCredentialKeys } from '../src/loadCredentialKeys.ts';
import { testConfig } from './support/testConfig.ts';

describe('subgraph security configuration', () => {
  it('refuses to start in production without the internal-token public key', async () => {
    const config = testConfig('postgres://unused@127.0.0.1:1/unused', { production: true });
    await expect(loadSubgraphSecurity(config)).rejects.toThrow(/INTERNAL_TOKEN_PUBLIC_KEY/);
  });

  it('refuses to start in production without credential keys', async () => {
    const config = testConfig('postgres://unused@127.0.0.1:1/unused', { production: true });
    await expect(loadCredentialKeys(config)).rejects.toThrow(/CREDENTIALS_KEYS/);
  });
});
