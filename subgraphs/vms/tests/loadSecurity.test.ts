import { describe, expect, it } from 'vitest';
import { loadSecurity } from '../src/loadSecurity.ts';
import { testConfig } from './support/testConfig.ts';

describe('subgraph security configuration', () => {
  it('refuses to start in production without the gateway public key and credential keys', async () => {
    const config = testConfig('postgres://unused@127.0.0.1:1/unused', { production: true });
    await expect(loadSecurity(config)).rejects.toThrow(/INTERNAL_TOKEN_PUBLIC_KEY/);
  });
});
