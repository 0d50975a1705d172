import { createPublicKey } from 'node:crypto';

/** Signature algorithms a verifier may be pinned to: asymmetric only, so holding a public key never lets anyone mint. */
export const asymmetricAlgorithms = Object.freeze(['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA', 'Ed25519']);

/**
 * Validates a configured algorithm list. `none` and HMAC (HS*) are refused outright: with a
 * public key as the "secret", HMAC would let anyone who has the key forge tokens.
 */
export function pinAlgorithms(algorithms: readonly string[]): string[] {
  if (algorithms.length === 0) throw new Error('algorithms must name at least one signature algorithm');
  for (const algorithm of algorithms) {
    if (!asymmetricAlgorithms.includes(algorithm)) {
      throw new Error(`algorithm ${JSON.stringify(algorithm)} is not allowed; use one of ${asymmetricAlgorithms.join(', ')}`);
    }
  }
  return [...new Set(algorithms)];
}

/**
 * The pinned algorithms a SPKI public key can verify, so a PEM key is imported once per usable
 * algorithm and a key/algorithm mismatch fails at start-up rather than on every request.
 */
export function algorithmsForPublicKey(publicKeyPem: string, pinned: readonly string[]): string[] {
  if (!/-----BEGIN PUBLIC KEY-----/.test(publicKeyPem)) throw new Error('publicKeyPem must be a PEM "PUBLIC KEY" (SPKI)');
  let key;
  try {
    key = createPublicKey({ key: publicKeyPem, format: 'pem' });
  } catch (error) {
    throw new Error('publicKeyPem could not be parsed as a SPKI public key', { cause: error });
  }
  const usable = usableAlgorithms(key.asymmetricKeyType, key.asymmetricKeyDetails?.namedCurve);
  const algorithms = pinned.filter((algorithm) => usable.includes(algorithm));
  if (algorithms.length === 0) {
    throw new Error(`publicKeyPem is a ${key.asymmetricKeyType ?? 'unknown'} key, which none of the pinned algorithms (${pinned.join(', ')}) can verify`);
  }
  return algorithms;
}

function usableAlgorithms(keyType: string | undefined, namedCurve: string | undefined): string[] {
  switch (keyType) {
    case 'ec':
      if (namedCurve === 'prime256v1') return ['ES256'];
      if (namedCurve === 'secp384r1') return ['ES384'];
      if (namedCurve === 'secp521r1') return ['ES512'];
      return [];
    case 'rsa':
      return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
    case 'rsa-pss':
      return ['PS256', 'PS384', 'PS512'];
    case 'ed25519':
      return ['EdDSA', 'Ed25519'];
    default:
      return [];
  }
}
