import type { Identity } from './Identity.ts';
import type { SystemCaller } from './InternalPrincipal.ts';
import type { InternalTokenSigner } from './createInternalTokenSigner.ts';

/**
 * Reuses a caller's internal token while it has more than `minRemainingSeconds` to live, instead of
 * signing one per subgraph fetch. A token is reused only for the same subject, tenant, roles and
 * user-token expiry, so nothing it vouches for changes.
 */
export function reuseInternalTokens(sign: InternalTokenSigner, options: { minRemainingSeconds?: number; maxEntries?: number; now?: () => number } = {}): InternalTokenSigner {
  const minRemainingMs = (options.minRemainingSeconds ?? 20) * 1000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { token: Promise<string>; expiresAtMs: Promise<number> }>();
  return async (claims: Identity | SystemCaller) => {
    const key = 'system' in claims ? `system|${claims.subject}` : `user|${claims.subject}|${claims.tenantId}|${[...claims.roles].sort().join(',')}|${claims.expiresAt.getTime()}`;
    const cached = cache.get(key);
    if (cached && (await cached.expiresAtMs) - now() > minRemainingMs) return cached.token;
    const token = sign(claims);
    const expiresAtMs = token.then((value) => (JSON.parse(Buffer.from(value.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp: number }).exp * 1000);
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
    cache.set(key, { token, expiresAtMs });
    token.catch(() => cache.delete(key));
    return token;
  };
}
