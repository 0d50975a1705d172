import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInternalTokenSigner, ensureDevelopmentKeys, internalTokenAudience, type InternalTokenSigner, type Role } from '@novacron/auth';

/** Development keys in a temporary folder, and a signer that acts as the gateway would. */
export async function createTestKeys(): Promise<{ keysDir: string; sign: InternalTokenSigner; forUser(tenantId: string, role: Role): Promise<string> }> {
  const keysDir = await mkdtemp(join(tmpdir(), 'novacron-metrics-keys-'));
  await chmod(keysDir, 0o700);
  const keys = await ensureDevelopmentKeys(keysDir);
  const sign = createInternalTokenSigner({ privateKeyPem: keys.internal.privateKeyPem, keyId: keys.internal.keyId, audience: internalTokenAudience('metrics') });
  return {
    keysDir,
    sign,
    forUser: (tenantId, role) => sign({ subject: `${role}@${tenantId}`, tenantId, roles: [role], expiresAt: new Date(Date.now() + 3_600_000) }),
  };
}
