import { badInput } from '@novacron/errors';
import { authorize } from '@novacron/subgraph-kit';
import type { MutationResolvers } from '../__generated__/resolvers-types.ts';
import type { RequestContext } from '../context.ts';
import { setQuota } from '../domain/capacityStore.ts';
import { placeForOperation, reportPlacementAttempt } from '../domain/decisionStore.ts';
import { internalCallTenant } from '../domain/internalCaller.ts';
import { setPlacementPolicy } from '../domain/policyStore.ts';
import { releaseReservation, reserveCapacity } from '../domain/reserveCapacity.ts';
import { validateRequirements } from '../domain/validateRequirements.ts';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function parseVmId(vmId: string | null | undefined): string | null {
  if (vmId === null || vmId === undefined) return null;
  if (!uuid.test(vmId)) throw badInput('vmId', 'vmId must be a VM id (a UUID)');
  return vmId;
}

/**
 * Runs a write, then raises the tenant's placement-state version (also when it failed: it may have
 * written part), so the caller reads its own write; `everyTenant` when it changed what all tenants rank by.
 */
async function invalidating<T>(context: RequestContext, tenantId: string, write: () => Promise<T>, everyTenant = false): Promise<T> {
  try {
    return await write();
  } finally {
    context.services.stateCache.invalidate(everyTenant ? undefined : tenantId);
  }
}

export const Mutation: MutationResolvers = {
  setPlacementPolicy: (_, { input }, context) => (authorize(context, 'admin'), invalidating(context, context.tenantId, () => setPlacementPolicy(context.services.db, context.services.catalog, context.tenantId, input))),
  setQuota: (_, { input }, context) =>
    (authorize(context, 'admin'), invalidating(context, context.tenantId, () => setQuota(context.services.db, context.services.catalog, context.tenantId, { ...input, vcpus: input.vcpus ?? null }))),
  _placeVm: (_, { operationId, vmId, requirements, tenantId }, context) => {
    const tenant = internalCallTenant(context, tenantId);
    const { db, catalog, config } = context.services;
    const validated = validateRequirements(catalog, requirements, 'input.placement');
    return invalidating(context, tenant, () => placeForOperation(db, catalog, { tenantId: tenant, operationId, vmId: parseVmId(vmId), requirements: validated, windows: config.placement, reservationTtlSeconds: config.placement.reservationTtlSeconds }));
  },
  _reportPlacementAttempt: (_, { operationId, outcome, message, tenantId }, context) => {
    const tenant = internalCallTenant(context, tenantId);
    if (outcome === 'PENDING') throw badInput('outcome', 'report how the attempt ended: SUCCEEDED, CAPACITY_FAILURE or FAILED');
    const { db, config } = context.services;
    // A capacity failure blocks the offering for every tenant.
    return invalidating(context, tenant, () => reportPlacementAttempt(db, { tenantId: tenant, operationId, outcome, message }, config.placement, config.placement.reservationTtlSeconds), outcome === 'CAPACITY_FAILURE');
  },
  _reserveCapacity: async (_, { operationId, vmId, provider, region, instanceType, tenantId }, context) => {
    const tenant = internalCallTenant(context, tenantId);
    const { db, catalog, config } = context.services;
    const offering = catalog.find(provider, region, instanceType);
    if (!offering) throw badInput('input.instanceType', `${provider} does not offer ${instanceType} in ${region}`);
    await invalidating(context, tenant, () => reserveCapacity(db, { tenantId: tenant, operationId, vmId: parseVmId(vmId), provider, region, vcpus: offering.vcpus, ttlSeconds: config.placement.reservationTtlSeconds }));
    return true;
  },
  _releaseCapacity: (_, { operationId, tenantId }, context) => {
    const tenant = internalCallTenant(context, tenantId);
    return invalidating(context, tenant, () => releaseReservation(context.services.db, tenant, operationId));
  },
};
