import { createPublicKey } from 'node:crypto';
import type { JSONWebKeySet, JWK } from 'jose';
import type { DevelopmentKeys } from './ensureDevelopmentKeys.ts';

/**
 * The JSON Web Key Set of the development user-token key: pass it as `jwks` to
 * `createUserTokenVerifier`, or serve it at a JWKS endpoint. Holds the public key only.
 */
export function developmentJwks(keys: Pick<DevelopmentKeys, 'user'>): JSONWebKeySet {
  const jwk = createPublicKey({ key: keys.user.publicKeyPem, format: 'pem' }).export({ format: 'jwk' }) as JWK;
  return { keys: [{ ...jwk, kid: keys.user.keyId, alg: 'ES256', use: 'sig' }] };
}
