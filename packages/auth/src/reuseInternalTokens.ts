import { decodeJwt } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Identity } from './Identity.ts';
import type { SystemCaller } from './InternalPrincipal.ts';
import type { InternalTokenSigner } from './createInternalTokenSigner.ts';

interface ReusableToken {
  token: Promise<string>;
  expiresAtMs: Promise<number>;
}

/**
 * Reuses a caller's internal token while it has more than `minRemainingSeconds` to live, instead of
 * signing one per subgraph fetch. A token is reused only for the same subject, tenant, roles and
 * user-token expiry, so nothing it vouches for changes. Bounded: the least recently used callers go first.
 */
export function reuseInternalTokens(sign: InternalTokenSigner, options: { minRemainingSeconds?: number; maxEntries?: number; now?: () => number } = {}): InternalTokenSigner {
  const minRemainingMs = (options.minRemainingSeconds ?? 20) * 1000;
  const now = options.now ?? Date.now;
  const cache = new LRUCache<string, ReusableToken>({ max: options.maxEntries ?? 10_000 });
  return async (claims: Identity | SystemCaller) => {
    const key = 'system' in claims ? `system|${claims.subject}` : `user|${claims.subject}|${claims.tenantId}|${[...claims.roles].sort().join(',')}|${claims.expiresAt.getTime()}`;
    const cached = cache.get(key);
    if (cached && (await cached.expiresAtMs) - now() > minRemainingMs) return cached.token;
    const token = sign(claims);
    const expiresAtMs = token.then((value) => (decodeJwt(value).exp ?? 0) * 1000);
    const entry = { token, expiresAtMs };
    cache.set(key, entry);
    // Only this attempt's entry goes: a newer one for the same caller may already have replaced it.
    token.catch(() => {
      if (cache.get(key) === entry) cache.delete(key);
    });
    return token;
  };
}
