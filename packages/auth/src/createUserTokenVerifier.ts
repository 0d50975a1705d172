import { createLocalJWKSet, createRemoteJWKSet, importSPKI, jwtVerify, type CryptoKey, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { Identity } from './Identity.ts';
import { identityFromClaims } from './identityFromClaims.ts';
import { invalidToken } from './invalidToken.ts';
import { algorithmsForPublicKey, pinAlgorithms } from './pinAlgorithms.ts';
import { userTokenClaims } from './userTokenClaims.ts';

/** Options every user token verifier takes, whatever the source of its keys. */
export interface UserTokenVerifierBaseOptions {
  /** The expected `iss` (or any of several). */
  issuer: string | string[];
  /** The expected `aud` (or any of several). */
  audience: string | string[];
  /** The signature algorithms accepted; asymmetric only. Default `['ES256', 'RS256']`. */
  algorithms?: string[];
  /** Leeway for `exp` and `nbf`, for clocks that disagree a little. Default 30. */
  clockToleranceSeconds?: number;
  /** The claim holding the tenant id. Default `https://novacron.dev/tenant`, falling back to `tenant`. */
  tenantClaim?: string;
  /** The claim holding the role names. Default `https://novacron.dev/roles`, falling back to `roles`. */
  rolesClaim?: string;
  /** JWKS URL only: after a fetch, how long an unknown `kid` waits before it may trigger another (ms). Default 30 000. */
  jwksCooldownMs?: number;
  /** JWKS URL only: how long fetched keys are trusted before a refetch (ms). Default 600 000. */
  jwksCacheMaxAgeMs?: number;
  /** JWKS URL only: how long a fetch may take (ms). Default 5 000. */
  jwksTimeoutMs?: number;
}

/** Where the verifier finds its keys: exactly one of a JWKS URL, a SPKI PEM key or a local key set. */
export type UserTokenKeySource =
  | { /** The identity provider's JWKS endpoint; cached, refetched when a token names an unknown `kid`. */ jwksUrl: string | URL; publicKeyPem?: never; jwks?: never }
  | { /** One SPKI PEM public key. */ publicKeyPem: string; jwksUrl?: never; jwks?: never }
  | { /** A JSON Web Key Set held in memory (the development key). */ jwks: JSONWebKeySet; jwksUrl?: never; publicKeyPem?: never };

/** Options for {@link createUserTokenVerifier}. */
export type UserTokenVerifierOptions = UserTokenVerifierBaseOptions & UserTokenKeySource;

/** Verifies a caller's bearer token; resolves to the identity or rejects with UNAUTHENTICATED. */
export type UserTokenVerifier = (token: string) => Promise<Identity>;

const maxTokenLength = 16 * 1024;

/**
 * Builds the verifier of callers' bearer JWTs: signature with pinned algorithms, issuer, audience,
 * required `exp` and `sub`, then tenant and roles. Every failure is UNAUTHENTICATED with a generic
 * message ("invalid or expired token"); the reason is kept as the error's cause for the logs.
 * Configuration mistakes throw here, at start-up.
 */
export function createUserTokenVerifier(options: UserTokenVerifierOptions): UserTokenVerifier {
  const pinned = pinAlgorithms(options.algorithms ?? ['ES256', 'RS256']);
  const { getKey, algorithms } = keySource(options, pinned);
  if (isBlank(options.issuer)) throw new Error('issuer is required');
  if (isBlank(options.audience)) throw new Error('audience is required');
  const clockTolerance = options.clockToleranceSeconds ?? 30;
  if (!Number.isFinite(clockTolerance) || clockTolerance < 0) throw new Error('clockToleranceSeconds must be a non-negative number');
  const claimNames = {
    tenant: [...new Set([options.tenantClaim ?? userTokenClaims.tenant, 'tenant'])],
    roles: [...new Set([options.rolesClaim ?? userTokenClaims.roles, 'roles'])],
  };
  const verifyOptions = { issuer: options.issuer, audience: options.audience, algorithms, clockTolerance, requiredClaims: ['exp', 'sub'] };

  return async function verifyUserToken(token: string): Promise<Identity> {
    if (typeof token !== 'string' || token.length === 0 || token.length > maxTokenLength) {
      throw invalidToken(new Error('token is empty, not a string, or too long'));
    }
    let payload;
    try {
      ({ payload } = await jwtVerify(token, getKey, verifyOptions));
    } catch (error) {
      throw invalidToken(error);
    }
    return identityFromClaims(payload, claimNames);
  };
}

function keySource(options: UserTokenVerifierOptions, pinned: string[]): { getKey: JWTVerifyGetKey; algorithms: string[] } {
  const given = [options.jwksUrl, options.publicKeyPem, options.jwks].filter((source) => source !== undefined);
  if (given.length !== 1) throw new Error('give exactly one of jwksUrl, publicKeyPem or jwks');
  if (options.jwksUrl !== undefined) {
    const url = new URL(options.jwksUrl);
    const remote = createRemoteJWKSet(url, {
      ...(options.jwksCooldownMs !== undefined && { cooldownDuration: options.jwksCooldownMs }),
      ...(options.jwksCacheMaxAgeMs !== undefined && { cacheMaxAge: options.jwksCacheMaxAgeMs }),
      ...(options.jwksTimeoutMs !== undefined && { timeoutDuration: options.jwksTimeoutMs }),
    });
    return { getKey: remote, algorithms: pinned };
  }
  if (options.jwks !== undefined) return { getKey: createLocalJWKSet(options.jwks), algorithms: pinned };
  const publicKeyPem = options.publicKeyPem as string;
  const algorithms = algorithmsForPublicKey(publicKeyPem, pinned);
  // A PEM key carries no algorithm; WebCrypto needs one per import, so import once per usable algorithm.
  const imported = new Map<string, Promise<CryptoKey>>();
  const getKey: JWTVerifyGetKey = (header) => {
    const algorithm = header.alg;
    if (algorithm === undefined || !algorithms.includes(algorithm)) return Promise.reject(new Error(`alg ${String(algorithm)} cannot be used with this key`));
    let key = imported.get(algorithm);
    if (!key) {
      key = importSPKI(publicKeyPem, algorithm);
      imported.set(algorithm, key);
    }
    return key;
  };
  return { getKey, algorithms };
}

function isBlank(value: string | string[] | undefined): boolean {
  if (Array.isArray(value)) return value.length === 0 || value.some((entry) => !entry);
  return !value;
}
