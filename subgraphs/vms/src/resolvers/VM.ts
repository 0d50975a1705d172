import type { VmResolvers } from '../__generated__/resolvers-types.ts';
import { authorize, pageRequest } from '@novacron/subgraph-kit';
import { listOperations } from '../domain/listOperations.ts';

export const VM: VmResolvers = {
  // Entity references are scoped to the caller's tenant exactly like top-level fields.
  __resolveReference: (reference, context) => (authorize(context, 'viewer'), context.vmById.load(reference.id)),
  operations: (vm, { first, after }, context) =>
    listOperations(context.services.db, context.tenantId, { vmId: vm.id }, pageRequest(first, after)),
};
