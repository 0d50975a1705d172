import { hash } from 'node:crypto';
import type { Identity } from '@novacron/auth';

/** The SHA-256 of a query's text, hex: the same `queryHash` Apollo Server computes for it. */
export function hashQuery(query: string): string {
  return hash('sha256', query, 'hex');
}

/**
 * The response cache's key for a query: its document (by hash), the operation name and variables as
 * posted, and the caller's tenant and roles (sorted). Built the same way where Apollo stores a result
 * and where a request is answered before Apollo, so both reach the same entry.
 */
export function responseCacheKey(queryHash: string, operationName: string | null | undefined, variables: unknown, identity: Identity): string {
  return JSON.stringify([queryHash, operationName ?? null, variables ?? {}, identity.tenantId, [...identity.roles].sort()]);
}
