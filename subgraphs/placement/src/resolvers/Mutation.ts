import type { MutationResolvers } from '../__generated__/resolvers-types.ts';
import { authorize } from '@novacron/subgraph-kit';
import { setQuota } from '../domain/capacityStore.ts';
import { setPlacementPolicy } from '../domain/policyStore.ts';

export const Mutation: MutationResolvers = {
  setPlacementPolicy: (_, { input }, context) => (authorize(context, 'admin'), setPlacementPolicy(context.services.db, context.services.catalog, context.tenantId, input)),
  setQuota: (_, { input }, context) => (authorize(context, 'admin'), setQuota(context.services.db, context.services.catalog, context.tenantId, { ...input, vcpus: input.vcpus ?? null })),
};
