import { requireRole, type Identity, type InternalPrincipal, type Role } from '@novacron/auth';
import { appError } from '@novacron/errors';

/** The part of a request context authorization looks at. */
export interface PrincipalContext {
  principal: InternalPrincipal;
}

/**
 * The caller's identity, when it holds at least `role` (admin ⊇ operator ⊇ viewer); FORBIDDEN
 * otherwise. Every query, mutation and entity reference of a subgraph goes through here.
 */
export function authorize(context: PrincipalContext, role: Role): Identity {
  if (context.principal.kind !== 'user') throw appError('FORBIDDEN', 'this request needs a user identity');
  requireRole(context.principal.identity, role);
  return context.principal.identity;
}

/** Only NovaCron itself (the gateway's event feed reads, another subgraph's stream follower). */
export function authorizeSystem(context: PrincipalContext): void {
  if (context.principal.kind !== 'system') throw appError('FORBIDDEN', 'this field is internal to NovaCron');
}
