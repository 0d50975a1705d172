import {
  createInternalTokenSigner,
  createInternalTokenVerifier,
  ensureDevelopmentKeys,
  internalTokenAudience,
  memoizeTokenVerifier,
  reuseInternalTokens,
  type InternalTokenSigner,
  type InternalTokenVerifier,
} from '@novacron/auth';
import type { SubgraphConfig } from './SubgraphConfig.ts';

/** A subgraph's identity machinery. */
export interface SubgraphSecurity {
  /** Verifies a token addressed to this subgraph (audience `novacron-<name>`). */
  verifyInternalToken: InternalTokenVerifier;
  /** Signs a token addressed to another subgraph; for stream followers and synchronous internal calls. */
  signFor(subgraph: string): InternalTokenSigner;
}

/**
 * Loads the internal-token keys: in production they must be configured (the signing key only where a
 * subgraph calls others); the embedded development default creates them under NOVACRON_KEYS_DIR.
 */
export async function loadSubgraphSecurity(config: SubgraphConfig): Promise<SubgraphSecurity> {
  const { security } = config;
  if (config.production && !security.internalTokenPublicKeyPem) {
    throw new Error('production mode needs INTERNAL_TOKEN_PUBLIC_KEY(_FILE)');
  }
  const development = security.internalTokenPublicKeyPem && (security.internalTokenPrivateKeyPem || config.production) ? null : await ensureDevelopmentKeys(security.keysDir);
  const publicKeyPem = security.internalTokenPublicKeyPem ?? development!.internal.publicKeyPem;
  const signing = security.internalTokenPrivateKeyPem
    ? { privateKeyPem: security.internalTokenPrivateKeyPem, keyId: security.internalTokenKeyId }
    : development
      ? { privateKeyPem: development.internal.privateKeyPem, keyId: development.internal.keyId }
      : null;
  const signers = new Map<string, InternalTokenSigner>();
  return {
    // The gateway reuses a caller's internal token for a while: verify each one once.
    verifyInternalToken: memoizeTokenVerifier(createInternalTokenVerifier({ publicKeyPem, audience: internalTokenAudience(config.name) })),
    signFor(subgraph) {
      if (!signing) throw new Error(`${config.name} calls ${subgraph} but has no INTERNAL_TOKEN_PRIVATE_KEY(_FILE)`);
      let signer = signers.get(subgraph);
      if (!signer) {
        signer = reuseInternalTokens(createInternalTokenSigner({ ...signing, audience: internalTokenAudience(subgraph) }));
        signers.set(subgraph, signer);
      }
      return signer;
    },
  };
}
