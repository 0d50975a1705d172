/**
 * Defaults shared by the internal token signer and verifier. The `typ` header keeps an internal
 * token from ever being mistaken for a user token (or the reverse), even if issuers were misconfigured.
 */
export const internalTokenDefaults = Object.freeze({
  issuer: 'novacron-gateway',
  audience: 'novacron-subgraphs',
  type: 'novacron-internal+jwt',
  ttlSeconds: 60,
});
