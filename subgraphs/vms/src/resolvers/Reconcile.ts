/** The reconciler's resolvers (merged into Query, Mutation and their types in index.ts). */
import { authorize, pageRequest } from '@novacron/subgraph-kit';
import type { MutationResolvers, OrphanInstanceResolvers, QueryResolvers, TenantSettingsResolvers } from '../__generated__/resolvers-types.ts';
import { listOrphanInstances, readOrphanCleanup, setOrphanCleanup } from '../reconcile/orphanInstances.ts';
import { reconcileTenantProvider } from '../reconcile/reconcileTenantProvider.ts';
import { audited } from './audited.ts';

export const reconcileQueries: Pick<QueryResolvers, 'orphanInstances'> = {
  orphanInstances: (_, { provider, first, after }, context) => (authorize(context, 'admin'), listOrphanInstances(context.services.db, context.tenantId, provider, pageRequest(first, after))),
};

export const reconcileMutations = {
  reconcileProvider: audited(
    'reconcileProvider',
    'admin',
    (args: { provider: string }, { services, tenantId }) => reconcileTenantProvider(services.db, services.providers, tenantId, args.provider),
    (args) => ({ targetId: args.provider.slice(0, 64) }),
  ),
  setOrphanCleanup: audited(
    'setOrphanCleanup',
    'admin',
    (args: { input: { enabled: boolean; graceMinutes?: number | null } }, { services, tenantId }, identity) => setOrphanCleanup(services.db, tenantId, identity.subject, args.input),
  ),
} as Pick<MutationResolvers, 'reconcileProvider' | 'setOrphanCleanup'>;

export const TenantSettings: TenantSettingsResolvers = {
  orphanCleanup: (settings, _, context) => readOrphanCleanup(context.services.db, settings.tenantId),
};

export const OrphanInstance: OrphanInstanceResolvers = {
  firstSeenAt: (row) => row.createdAt,
};
