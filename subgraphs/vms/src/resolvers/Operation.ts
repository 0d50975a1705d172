import type { OperationResolvers } from '../__generated__/resolvers-types.ts';
import { authorize } from '@novacron/subgraph-kit';
import type { AcceptedOperation } from '../db/rows.ts';
import { findOperation } from '../domain/findOperation.ts';
import { isId } from '../domain/parseId.ts';

export const Operation: OperationResolvers = {
  __resolveReference: (reference, context) => {
    authorize(context, 'viewer');
    return isId(reference.id) ? findOperation(context.services.db, context.tenantId, reference.id.toLowerCase()) : null;
  },
  // A mutation's answer shows the VM as the operation was accepted (AcceptedOperation); elsewhere, as it is now.
  vm: (operation: AcceptedOperation, _, context) => operation.acceptedVm ?? context.vmById.load(operation.vmId),
  error: (operation) =>
    operation.errorCode ? { code: operation.errorCode, message: operation.errorMessage ?? '', providerCode: operation.errorProviderCode } : null,
};
