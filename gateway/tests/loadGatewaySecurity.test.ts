import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureDevelopmentKeys, signDevelopmentToken } from '@novacron/auth';
import type { GatewayConfig } from '../src/config.ts';
import { loadConfig } from '../src/config.ts';
import { loadGatewaySecurity } from '../src/security/loadGatewaySecurity.ts';

async function keysDir(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'novacron-gateway-keys-'));
  await chmod(folder, 0o700);
  return folder;
}

function config(overrides: Partial<GatewayConfig['auth']>, production: boolean): GatewayConfig {
  const base = loadConfig();
  return { ...base, production, auth: { ...base.auth, ...overrides } };
}

describe('gateway identity configuration', () => {
  it('refuses to start in production without a configured issuer, key and internal signing key', async () => {
    const folder = await keysDir();
    await expect(loadGatewaySecurity(config({ keysDir: folder, issuer: undefined, publicKeyPem: undefined, jwksUrl: undefined }, true))).rejects.toThrow(/AUTH_ISSUER/);
    const keys = await ensureDevelopmentKeys(folder);
    await expect(
      loadGatewaySecurity(config({ keysDir: folder, issuer: 'https://idp.example', audience: 'novacron', publicKeyPem: keys.user.publicKeyPem, internalPrivateKeyPem: undefined }, true)),
    ).rejects.toThrow(/INTERNAL_TOKEN_PRIVATE_KEY/);
  });

  it('uses the development key by default and accepts its tokens, refusing anything else with a 401', async () => {
    const folder = await keysDir();
    const security = await loadGatewaySecurity(config({ keysDir: folder, issuer: undefined, publicKeyPem: undefined, jwksUrl: undefined, internalPrivateKeyPem: undefined }, false));
    expect(security.development).toBe(true);
    const token = await signDevelopmentToken({ keys: await ensureDevelopmentKeys(folder), tenant: 'acme', roles: ['viewer'] });
    await expect(security.identify(`Bearer ${token}`)).resolves.toMatchObject({ tenantId: 'acme', roles: ['viewer'] });
    for (const header of [undefined, 'Basic abc', `Bearer ${token}x`]) {
      await expect(security.identify(header)).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
    }
  });
});
