import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInternalTokenSigner, ensureDevelopmentKeys, internalTokenAudience, type Role } from '@novacron/auth';

/**
 * Development keys in a temporary folder, and tokens minted as the gateway would: for the billing
 * subgraph (`forUser`), or for another subgraph started in the same test (`forUserOf`).
 */
export async function createTestKeys() {
  const keysDir = await mkdtemp(join(tmpdir(), 'novacron-billing-keys-'));
  await chmod(keysDir, 0o700);
  const keys = await ensureDevelopmentKeys(keysDir);
  const forUserOf = (subgraph: string, tenantId: string, role: Role) =>
    createInternalTokenSigner({ privateKeyPem: keys.internal.privateKeyPem, keyId: keys.internal.keyId, audience: internalTokenAudience(subgraph) })({
      subject: `${role}@${tenantId}`,
      tenantId,
      roles: [role],
      expiresAt: new Date(Date.now() + 3_600_000),
    });
  return {
    keysDir,
    forUser: (tenantId: string, role: Role) => forUserOf('billing', tenantId, role),
    forUserOf,
  };
}
