/**
 * Remembers successful verifications by the exact token string until the token's own `exp`, so a
 * client's repeated requests cost one signature check instead of one per request (ES256 verification
 * was a third of the gateway's CPU per request). Failures are never cached. Bounded: the oldest
 * entries go first.
 */
export function memoizeTokenVerifier<T>(verify: (token: string) => Promise<T>, options: { maxEntries?: number; now?: () => number } = {}): (token: string) => Promise<T> {
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { value: T; expiresAtMs: number }>();
  return async (token) => {
    const cached = cache.get(token);
    if (cached && cached.expiresAtMs > now()) return cached.value;
    if (cached) cache.delete(token);
    const value = await verify(token);
    const expiresAtMs = expiryOf(token);
    if (expiresAtMs !== null && expiresAtMs > now()) {
      if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
      cache.set(token, { value, expiresAtMs });
    }
    return value;
  };
}

/** The `exp` of a token that has just been verified (read without checking it again). */
function expiryOf(token: string): number | null {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : null;
  } catch {
    return null;
  }
}
