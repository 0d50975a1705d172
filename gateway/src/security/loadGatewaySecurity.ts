import {
  createInternalTokenSigner,
  createUserTokenVerifier,
  developmentAudience,
  developmentIssuer,
  developmentJwks,
  ensureDevelopmentKeys,
  internalTokenAudience,
  memoizeTokenVerifier,
  reuseInternalTokens,
  type DevelopmentKeys,
  type Identity,
  type InternalTokenSigner,
  type UserTokenVerifier,
} from '@novacron/auth';
import { AppError, requestError } from '@novacron/errors';
import type { GatewayConfig } from '../config.ts';

/** The gateway's identity machinery. */
export interface GatewaySecurity {
  /** Verifies an `Authorization` header; UNAUTHENTICATED (HTTP 401) when missing or invalid. */
  identify(authorization: string | undefined): Promise<Identity>;
  /** Signs internal tokens addressed to one subgraph (its own audience): none can be replayed against another. */
  signFor(subgraph: string): InternalTokenSigner;
  /** True when tokens come from the development key (the embedded default). */
  development: boolean;
  /** The development keys when callers' tokens are verified with them (no configured issuer), else null. */
  developmentKeys: DevelopmentKeys | null;
}

/**
 * Builds user-token verification (a configured issuer with a JWKS URL or public key, or the
 * development key) and internal-token signing. Production mode refuses to start without a
 * configured issuer, key and internal signing key.
 */
export async function loadGatewaySecurity(config: GatewayConfig): Promise<GatewaySecurity> {
  const { auth } = config;
  const configured = Boolean(auth.issuer && (auth.jwksUrl || auth.publicKeyPem));
  if (config.production && (!configured || !auth.audience || !auth.internalPrivateKeyPem)) {
    throw new Error('production mode needs AUTH_ISSUER, AUTH_AUDIENCE, AUTH_JWKS_URL or AUTH_PUBLIC_KEY(_FILE), and INTERNAL_TOKEN_PRIVATE_KEY(_FILE)');
  }
  const needsDevelopmentKeys = !configured || !auth.internalPrivateKeyPem;
  const development = needsDevelopmentKeys ? await ensureDevelopmentKeys(auth.keysDir) : null;
  const base = { algorithms: auth.algorithms, clockToleranceSeconds: auth.clockToleranceSeconds };
  const verifyUncached: UserTokenVerifier = configured
    ? auth.jwksUrl
      ? createUserTokenVerifier({ ...base, issuer: auth.issuer as string, audience: auth.audience ?? '', jwksUrl: auth.jwksUrl })
      : createUserTokenVerifier({ ...base, issuer: auth.issuer as string, audience: auth.audience ?? '', publicKeyPem: auth.publicKeyPem as string })
    : createUserTokenVerifier({ ...base, issuer: developmentIssuer, audience: developmentAudience, jwks: developmentJwks(development!) });
  // Signature checks and signing dominate the gateway's CPU per request: verify a client's token once
  // until it expires, and reuse an internal token for the same caller while it has 20 s left.
  const verify = memoizeTokenVerifier(verifyUncached);
  const signing = auth.internalPrivateKeyPem
    ? { privateKeyPem: auth.internalPrivateKeyPem, keyId: auth.internalKeyId }
    : { privateKeyPem: development!.internal.privateKeyPem, keyId: development!.internal.keyId };
  const signers = new Map<string, InternalTokenSigner>();
  const signFor = (subgraph: string): InternalTokenSigner => {
    let signer = signers.get(subgraph);
    if (!signer) {
      signer = reuseInternalTokens(createInternalTokenSigner({ ...signing, audience: internalTokenAudience(subgraph) }));
      signers.set(subgraph, signer);
    }
    return signer;
  };
  return {
    development: !configured,
    developmentKeys: configured ? null : development,
    signFor,
    identify: async (authorization) => {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
      if (!match?.[1]) throw unauthenticated('missing bearer token');
      return verify(match[1]).catch((error: unknown) => {
        throw unauthenticated(error instanceof AppError ? error.message : 'invalid or expired token');
      });
    },
  };
}

function unauthenticated(message: string): AppError {
  return requestError('UNAUTHENTICATED', message, {}, { 'www-authenticate': 'Bearer' });
}
