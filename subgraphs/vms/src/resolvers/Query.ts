import type { QueryResolvers } from '../__generated__/resolvers-types.ts';
import { authorize, listAuditLog, pageRequest, streamPayload } from '@novacron/subgraph-kit';
import type { RequestContext } from '../context.ts';
import { findOperationAt, findVmEvent } from '../domain/findEventPayload.ts';
import { findOperation } from '../domain/findOperation.ts';
import { listOperations } from '../domain/listOperations.ts';
import { listVms } from '../domain/listVms.ts';
import { parseId } from '../domain/parseId.ts';
import { matchesVmEventFilter, parseVmEventFilter } from '../domain/vmEventFilter.ts';
import { listCredentialStatus } from '../domain/setProviderCredentials.ts';
import { readTenantSettings } from '../domain/tenantSettings.ts';
import { auditLog } from '../db/schema.ts';

export const Query: QueryResolvers = {
  vm: (_, { id }, context) => (authorize(context, 'viewer'), context.vmById.load(parseId('id', id))),
  vms: (_, { filter, first, after }, context) => (authorize(context, 'viewer'), listVms(context.services.db, context.tenantId, filter, pageRequest(first, after))),
  operation: (_, { id }, context) => (authorize(context, 'viewer'), findOperation(context.services.db, context.tenantId, parseId('id', id))),
  operations: (_, { filter, first, after }, context) =>
    (authorize(context, 'viewer'), listOperations(context.services.db, context.tenantId, filter, pageRequest(first, after))),
  providers: async (_, __, context) => (authorize(context, 'viewer'), (await context.services.providers.listForTenant(context.tenantId)).map((driver) => driver.describe())),
  // Payload fields of the `vmEvents` and `operationUpdated` streams (the kit's `streamPayload` contract).
  vmEventAt: streamPayload({
    authorize: (context: RequestContext) => authorize(context, 'viewer'),
    parseArgs: (args) => parseVmEventFilter(args.filter),
    load: async (cursor, filter, context) => {
      const event = await findVmEvent(context.services.db, context.tenantId, cursor);
      return event && matchesVmEventFilter(event.vm, filter) ? event : null;
    },
  }),
  operationAt: streamPayload({
    authorize: (context: RequestContext) => authorize(context, 'viewer'),
    parseArgs: (args) => (args.id ? parseId('id', String(args.id)) : null),
    load: async (cursor, id, context) => {
      const operation = await findOperationAt(context.services.db, context.tenantId, cursor);
      return operation && (!id || operation.id === id) ? operation : null;
    },
  }),
  tenantSettings: (_, __, context) => (authorize(context, 'viewer'), readTenantSettings(context.services.db, context.tenantId)),
  auditLog: (_, { filter, first, after }, context) => (authorize(context, 'admin'), listAuditLog(context.services.db, auditLog, context.tenantId, filter, pageRequest(first, after))),
  providerCredentials: (_, __, context) => (authorize(context, 'admin'), listCredentialStatus(context.services.db, context.services.providers, context.tenantId)),
};
