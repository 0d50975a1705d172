import type { QueryResolvers } from '../__generated__/resolvers-types.ts';
import { authorize, authorizeSystem } from '../domain/authorize.ts';
import { pageRequest } from '../domain/connection.ts';
import { findOperationAt, findVmEvent } from '../domain/findEventPayload.ts';
import { findOperation } from '../domain/findOperation.ts';
import { listAuditLog } from '../domain/listAuditLog.ts';
import { listOperations } from '../domain/listOperations.ts';
import { listVms } from '../domain/listVms.ts';
import { parseId } from '../domain/parseId.ts';
import { readEventFeed } from '../domain/readEventFeed.ts';
import { listCredentialStatus } from '../domain/setProviderCredentials.ts';
import { readTenantSettings } from '../domain/tenantSettings.ts';

export const Query: QueryResolvers = {
  vm: (_, { id }, context) => (authorize(context, 'viewer'), context.vmById.load(parseId('id', id))),
  vms: (_, { filter, first, after }, context) => (authorize(context, 'viewer'), listVms(context.services.db, context.tenantId, filter, pageRequest(first, after))),
  operation: (_, { id }, context) => (authorize(context, 'viewer'), findOperation(context.services.db, context.tenantId, parseId('id', id))),
  operations: (_, { filter, first, after }, context) =>
    (authorize(context, 'viewer'), listOperations(context.services.db, context.tenantId, filter, pageRequest(first, after))),
  providers: async (_, __, context) => (authorize(context, 'viewer'), (await context.services.providers.listForTenant(context.tenantId)).map((driver) => driver.describe())),
  vmEventAt: (_, { cursor }, context) => (authorize(context, 'viewer'), findVmEvent(context.services.db, context.tenantId, cursor)),
  operationAt: (_, { cursor }, context) => (authorize(context, 'viewer'), findOperationAt(context.services.db, context.tenantId, cursor)),
  tenantSettings: (_, __, context) => (authorize(context, 'viewer'), readTenantSettings(context.services.db, context.tenantId)),
  auditLog: (_, { filter, first, after }, context) => (authorize(context, 'admin'), listAuditLog(context.services.db, context.tenantId, filter, pageRequest(first, after))),
  providerCredentials: (_, __, context) => (authorize(context, 'admin'), listCredentialStatus(context.services.db, context.services.providers, context.tenantId)),
  _eventFeed: (_, { stream, after, first, entityId }, context) => (authorizeSystem(context), readEventFeed(context.services.db, { stream, after, first: first ?? 500, entityId })),
};
