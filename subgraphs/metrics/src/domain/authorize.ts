import { appError } from '@novacron/errors';
import { requireRole, type Identity, type Role } from '@novacron/auth';
import type { InternalPrincipal } from '@novacron/auth';

/**
 * The caller's identity, when it holds at least `role` (admin ⊇ operator ⊇ viewer); FORBIDDEN
 * otherwise. Every field and the OTLP endpoint go through here.
 */
export function authorize(principal: InternalPrincipal, role: Role): Identity {
  if (principal.kind !== 'user') throw appError('FORBIDDEN', 'this request needs a user identity');
  requireRole(principal.identity, role);
  return principal.identity;
}
