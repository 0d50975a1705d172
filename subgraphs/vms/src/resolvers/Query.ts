import type { QueryResolvers } from '../__generated__/resolvers-types.ts';
import { pageRequest } from '../domain/connection.ts';
import { findOperationAt, findVmEvent } from '../domain/findEventPayload.ts';
import { findOperation } from '../domain/findOperation.ts';
import { readEventFeed } from '../domain/readEventFeed.ts';
import { listOperations } from '../domain/listOperations.ts';
import { listVms } from '../domain/listVms.ts';
import { parseId } from '../domain/parseId.ts';

export const Query: QueryResolvers = {
  vm: (_, { id }, context) => context.vmById.load(parseId('id', id)),
  vms: (_, { filter, first, after }, context) => listVms(context.services.db, context.tenantId, filter, pageRequest(first, after)),
  operation: (_, { id }, context) => findOperation(context.services.db, context.tenantId, parseId('id', id)),
  operations: (_, { filter, first, after }, context) =>
    listOperations(context.services.db, context.tenantId, filter, pageRequest(first, after)),
  providers: (_, __, context) => context.services.providers.list().map((driver) => driver.describe()),
  vmEventAt: (_, { cursor }, context) => findVmEvent(context.services.db, context.tenantId, cursor),
  operationAt: (_, { cursor }, context) => findOperationAt(context.services.db, context.tenantId, cursor),
  _eventFeed: (_, { stream, after, first, entityId }, context) => readEventFeed(context.services.db, { stream, after, first: first ?? 500, entityId }),
};
