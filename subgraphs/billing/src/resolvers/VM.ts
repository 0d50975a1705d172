import { authorize } from '@novacron/subgraph-kit';
import type { BillingContext } from '../context.ts';
import { vmRightsizing } from '../domain/vmRightsizing.ts';

export interface VmReference {
  id: string;
}

/**
 * The billing fields of a VM. The reference carries only an id, which grants nothing: the tenant is
 * checked against billing's own projection (another tenant's VM is NOT_FOUND).
 */
export const VM = {
  __resolveReference(reference: VmReference, context: BillingContext): VmReference {
    authorize(context, 'viewer');
    return { id: reference.id };
  },
  cost(vm: VmReference, _args: unknown, context: BillingContext) {
    authorize(context, 'viewer');
    // Batched: the 50 VMs of a dashboard's `_entities` call are one load, not 50.
    return context.vmCost.load(vm.id);
  },
  rightsizing(vm: VmReference, _args: unknown, context: BillingContext) {
    const identity = authorize(context, 'viewer');
    const { db, catalog, metrics } = context.services;
    return vmRightsizing(db, catalog, metrics, identity.tenantId, vm.id, context.services.now());
  },
};
