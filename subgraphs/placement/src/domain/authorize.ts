import { appError } from '@novacron/errors';
import { requireRole, type Identity, type Role } from '@novacron/auth';
import type { RequestContext } from '../context.ts';

/**
 * The caller's identity, when it holds at least `role` (admin ⊇ operator ⊇ viewer); FORBIDDEN
 * otherwise. Every query, mutation and entity field of the subgraph goes through here.
 */
export function authorize(context: RequestContext, role: Role): Identity {
  if (context.principal.kind !== 'user') throw appError('FORBIDDEN', 'this request needs a user identity');
  requireRole(context.principal.identity, role);
  return context.principal.identity;
}
