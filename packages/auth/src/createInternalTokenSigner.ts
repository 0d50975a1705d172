import { createPrivateKey } from 'node:crypto';
import { importPKCS8, SignJWT, type CryptoKey } from 'jose';
import type { Identity } from './Identity.ts';
import { internalTokenDefaults } from './internalTokenDefaults.ts';
import type { SystemCaller } from './InternalPrincipal.ts';

/** Options for {@link createInternalTokenSigner}. */
export interface InternalTokenSignerOptions {
  /** The gateway's ES256 (P-256) private key, PKCS#8 PEM. Only the gateway holds it. */
  privateKeyPem: string;
  /** The `kid` put in every token's header, so verifiers can tell keys apart during a rotation. */
  keyId: string;
  /** The `iss` claim. Default `novacron-gateway`. */
  issuer?: string;
  /** The `aud` claim. Default `novacron-subgraphs`. */
  audience?: string;
  /** Lifetime of a token; never beyond the user token it vouches for. Default 60. */
  ttlSeconds?: number;
}

/** Mints an internal token for a verified user or for the gateway itself. */
export type InternalTokenSigner = (claims: Identity | SystemCaller) => Promise<string>;

/**
 * Builds the gateway's signer of short-lived ES256 tokens that carry the caller's identity to
 * subgraphs. Asymmetric on purpose: a subgraph holds only the public key, so it can verify but never mint.
 */
export function createInternalTokenSigner(options: InternalTokenSignerOptions): InternalTokenSigner {
  assertP256PrivateKey(options.privateKeyPem);
  if (!options.keyId) throw new Error('keyId is required');
  const issuer = options.issuer ?? internalTokenDefaults.issuer;
  const audience = options.audience ?? internalTokenDefaults.audience;
  const ttlSeconds = options.ttlSeconds ?? internalTokenDefaults.ttlSeconds;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) throw new Error('ttlSeconds must be a positive integer');
  let privateKey: Promise<CryptoKey> | undefined;

  return async function signInternalToken(claims: Identity | SystemCaller): Promise<string> {
    privateKey ??= importPKCS8(options.privateKeyPem, 'ES256');
    const now = Math.floor(Date.now() / 1000);
    let expiresAt = now + ttlSeconds;
    let payload: Record<string, unknown>;
    if ('system' in claims) {
      if (claims.system !== true || !claims.subject) throw new Error('a system caller needs system: true and a subject');
      payload = { system: true };
    } else {
      payload = { tenant: claims.tenantId, roles: [...claims.roles] };
      // The forwarded identity must not outlive the user token it came from.
      expiresAt = Math.min(expiresAt, Math.floor(claims.expiresAt.getTime() / 1000));
    }
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'ES256', kid: options.keyId, typ: internalTokenDefaults.type })
      .setSubject(claims.subject)
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt(now)
      .setExpirationTime(expiresAt)
      .sign(await privateKey);
  };
}

function assertP256PrivateKey(privateKeyPem: string): void {
  let key;
  try {
    key = createPrivateKey({ key: privateKeyPem, format: 'pem' });
  } catch (error) {
    throw new Error('privateKeyPem could not be parsed as a private key', { cause: error });
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('privateKeyPem must be an ES256 (EC P-256) private key');
  }
}
