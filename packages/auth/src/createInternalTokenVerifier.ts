import { importSPKI, jwtVerify, type CryptoKey } from 'jose';
import { identityFromClaims } from './identityFromClaims.ts';
import { internalTokenDefaults } from './internalTokenDefaults.ts';
import type { InternalPrincipal } from './InternalPrincipal.ts';
import { invalidToken } from './invalidToken.ts';
import { algorithmsForPublicKey } from './pinAlgorithms.ts';

/** Options for {@link createInternalTokenVerifier}. */
export interface InternalTokenVerifierOptions {
  /** The gateway's ES256 public key, SPKI PEM. */
  publicKeyPem: string;
  /** The expected `iss`. Default `novacron-gateway`. */
  issuer?: string;
  /** The expected `aud`. Default `novacron-subgraphs`. */
  audience?: string;
  /** Leeway for `exp`; small, since gateway and subgraphs share a clock or an NTP source. Default 5. */
  clockToleranceSeconds?: number;
}

/** Verifies the gateway's internal token; resolves to the principal or rejects with UNAUTHENTICATED. */
export type InternalTokenVerifier = (token: string) => Promise<InternalPrincipal>;

const claimNames = { tenant: ['tenant'], roles: ['roles'] };
const maxTokenLength = 16 * 1024;

/**
 * Builds a subgraph's verifier of internal tokens: ES256 only, the internal `typ`, issuer and
 * audience, required `exp`, `iat` and `sub`. Every failure is UNAUTHENTICATED with a generic message.
 */
export function createInternalTokenVerifier(options: InternalTokenVerifierOptions): InternalTokenVerifier {
  algorithmsForPublicKey(options.publicKeyPem, ['ES256']);
  const clockTolerance = options.clockToleranceSeconds ?? 5;
  if (!Number.isFinite(clockTolerance) || clockTolerance < 0) throw new Error('clockToleranceSeconds must be a non-negative number');
  const verifyOptions = {
    issuer: options.issuer ?? internalTokenDefaults.issuer,
    audience: options.audience ?? internalTokenDefaults.audience,
    typ: internalTokenDefaults.type,
    algorithms: ['ES256'],
    clockTolerance,
    requiredClaims: ['exp', 'iat', 'sub'],
  };
  let publicKey: Promise<CryptoKey> | undefined;

  return async function verifyInternalToken(token: string): Promise<InternalPrincipal> {
    if (typeof token !== 'string' || token.length === 0 || token.length > maxTokenLength) {
      throw invalidToken(new Error('internal token is empty, not a string, or too long'));
    }
    let payload;
    try {
      publicKey ??= importSPKI(options.publicKeyPem, 'ES256');
      ({ payload } = await jwtVerify(token, await publicKey, verifyOptions));
    } catch (error) {
      throw invalidToken(error);
    }
    if (payload.system === true) {
      return { kind: 'system', subject: payload.sub as string };
    }
    return { kind: 'user', identity: identityFromClaims(payload, claimNames) };
  };
}
