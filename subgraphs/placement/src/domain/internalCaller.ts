import { badInput } from '@novacron/errors';
import { authorize } from '@novacron/subgraph-kit';
import type { RequestContext } from '../context.ts';

/**
 * The tenant an internal placement call acts for: a user's own (an operator, as for createVM; a
 * `tenantId` argument must then match), or, for NovaCron's own calls (the vms worker), the
 * `tenantId` argument.
 */
export function internalCallTenant(context: RequestContext, tenantId: string | null | undefined): string {
  if (context.principal.kind === 'system') {
    if (!tenantId) throw badInput('tenantId', 'a system call must name the tenant');
    return tenantId;
  }
  const identity = authorize(context, 'operator');
  if (tenantId && tenantId !== identity.tenantId) throw badInput('tenantId', 'a user may act for their own tenant only');
  return identity.tenantId;
}
