import type { QueryResolvers } from '../__generated__/resolvers-types.ts';
import { authorize } from '@novacron/subgraph-kit';
import { listQuotas } from '../domain/capacityStore.ts';
import { listInstanceTypes } from '../domain/listInstanceTypes.ts';
import { placementOptions } from '../domain/placementOptions.ts';
import { readPlacementPolicy } from '../domain/policyStore.ts';

export const Query: QueryResolvers = {
  placementOptions: async (_, { requirements, first }, context) => {
    authorize(context, 'viewer');
    const { catalog, stateCache } = context.services;
    const lease = await stateCache.lease(context.tenantId);
    context.stateLeases.push(lease);
    return placementOptions(catalog, lease.state, requirements, first, stateCache);
  },
  instanceTypes: (_, { filter, first, after }, context) => (authorize(context, 'viewer'), listInstanceTypes(context.services.catalog, filter, first, after)),
  placementPolicy: (_, __, context) => (authorize(context, 'viewer'), readPlacementPolicy(context.services.db, context.tenantId)),
  quotas: (_, __, context) => (authorize(context, 'viewer'), listQuotas(context.services.db, context.tenantId)),
};
