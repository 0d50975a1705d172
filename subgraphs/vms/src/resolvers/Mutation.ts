import type { MutationResolvers } from '../__generated__/resolvers-types.ts';
import { cancelOperation } from '../domain/cancelOperation.ts';
import { parseId } from '../domain/parseId.ts';
import { requestAction, requestCreate } from '../domain/requestOperation.ts';

export const Mutation: MutationResolvers = {
  createVM: (_, { input, idempotencyKey }, { services, tenantId }) => requestCreate(services, tenantId, input, idempotencyKey),
  startVM: (_, { id, idempotencyKey }, { services, tenantId }) => requestAction(services, tenantId, { kind: 'START', vmId: id, idempotencyKey }),
  stopVM: (_, { id, idempotencyKey }, { services, tenantId }) => requestAction(services, tenantId, { kind: 'STOP', vmId: id, idempotencyKey }),
  rebootVM: (_, { id, idempotencyKey }, { services, tenantId }) => requestAction(services, tenantId, { kind: 'REBOOT', vmId: id, idempotencyKey }),
  resizeVM: (_, { id, instanceType, idempotencyKey }, { services, tenantId }) =>
    requestAction(services, tenantId, { kind: 'RESIZE', vmId: id, idempotencyKey, instanceType }),
  deleteVM: (_, { id, idempotencyKey }, { services, tenantId }) => requestAction(services, tenantId, { kind: 'DELETE', vmId: id, idempotencyKey }),
  cancelOperation: (_, { id }, { services, tenantId }) => cancelOperation(services.db, tenantId, parseId('id', id)),
};
