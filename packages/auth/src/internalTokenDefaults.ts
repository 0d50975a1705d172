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

/**
 * The audience of internal tokens addressed to one subgraph: a token minted for one subgraph cannot be
 * replayed against another.
 */
export function internalTokenAudience(subgraph: string): string {
  return `novacron-${subgraph}`;
}
