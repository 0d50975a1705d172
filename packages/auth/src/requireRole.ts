import { appError } from '@novacron/errors';
import { hasRole } from './hasRole.ts';
import type { Identity } from './Identity.ts';
import type { Role } from './Role.ts';

/**
 * Returns the identity if it may act as `role`; throws UNAUTHENTICATED without an identity and
 * FORBIDDEN without the role. The message names the role needed, never the roles the caller holds.
 */
export function requireRole(identity: Identity | null | undefined, role: Role): Identity {
  if (!identity) throw appError('UNAUTHENTICATED', 'authentication required');
  if (!hasRole(identity, role)) throw appError('FORBIDDEN', `this requires the ${role} role`, { requiredRole: role });
  return identity;
}
