import { decodeJwt } from 'jose';
import { LRUCache } from 'lru-cache';

/**
 * Remembers successful verifications by the exact token string until the token's own `exp`, so a
 * client's repeated requests cost one signature check instead of one per request (ES256 verification
 * was a third of the gateway's CPU per request). Failures are never cached. Bounded: the least
 * recently used entries go first.
 */
export function memoizeTokenVerifier<T>(verify: (token: string) => Promise<T>, options: { maxEntries?: number; now?: () => number } = {}): (token: string) => Promise<T> {
  const now = options.now ?? Date.now;
  // lru-cache measures each entry's ttl on this clock, read on every lookup (ttlResolution 0), so tests can move past a token's exp.
  const cache = new LRUCache<string, { value: T }>({ max: options.maxEntries ?? 10_000, perf: { now }, ttlResolution: 0 });
  return async (token) => {
    const cached = cache.get(token);
    if (cached) return cached.value;
    const value = await verify(token);
    const expiresAtMs = expiryOf(token);
    if (expiresAtMs !== null && expiresAtMs > now()) cache.set(token, { value }, { ttl: expiresAtMs - now() });
    return value;
  };
}

/** The `exp` of a token that has just been verified (read without checking it again). */
function expiryOf(token: string): number | null {
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' ? exp * 1000 : null;
  } catch {
    return null;
  }
}
