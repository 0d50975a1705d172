import type { VmResolvers } from '../__generated__/resolvers-types.ts';
import { alternativesFor } from '../domain/alternativesFor.ts';
import { authorize } from '@novacron/subgraph-kit';

/** A VM as this subgraph knows it: its id. Every field reads the caller's tenant's rows only. */
export interface VmReference {
  id: string;
}

export const VM: VmResolvers = {
  // An id alone grants nothing: each field below is scoped to the caller's tenant (a decision or a
  // usage row of another tenant's VM is simply not found).
  __resolveReference: (reference, context) => (authorize(context, 'viewer'), { id: reference.id }),
  // Batched: the VMs of one `_entities` call are one statement, not one each.
  placement: (vm, _, context) => (authorize(context, 'viewer'), context.decisionByVm.load(vm.id)),
  alternatives: (vm, { first }, context) => {
    authorize(context, 'viewer');
    context.readsUnleasedState = true;
    const { db, catalog, config } = context.services;
    return alternativesFor(db, catalog, config.placement, context.tenantId, vm.id, first ?? 3);
  },
};
