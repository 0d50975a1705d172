import type { MutationCreateVmArgs, MutationResolvers, MutationResizeVmArgs } from '../__generated__/resolvers-types.ts';
import type { OperationRow } from '../db/rows.ts';
import { cancelOperation } from '../domain/cancelOperation.ts';
import { parseId } from '../domain/parseId.ts';
import { releaseCreateCapacity } from '../domain/placeCreate.ts';
import { requestAction, requestCreate } from '../domain/requestOperation.ts';
import { setProviderCredentials } from '../domain/setProviderCredentials.ts';
import { updateTenantSettings } from '../domain/tenantSettings.ts';
import { audited } from './audited.ts';

type Action = 'START' | 'STOP' | 'REBOOT' | 'DELETE';
const onVm = (args: { id: string }, result: OperationRow | null) => ({ targetId: args.id.slice(0, 64), operationId: result?.id ?? null });

const lifecycle = (name: string, kind: Action) =>
  audited(name, 'operator', (args: { id: string; idempotencyKey?: string | null }, { services, tenantId }) =>
    requestAction(services, tenantId, { kind, vmId: args.id, idempotencyKey: args.idempotencyKey }), onVm);

export const Mutation: MutationResolvers = {
  createVM: audited(
    'createVM',
    'operator',
    // The success record is written in the enqueue's one statement (a replayed key's by the wrapper).
    (args: MutationCreateVmArgs, { services, tenantId, principal }, identity, stamp) =>
      requestCreate(
        services,
        tenantId,
        args.input,
        args.idempotencyKey,
        services.placement && principal.kind === 'user' ? { client: services.placement, caller: principal.identity } : undefined,
        identity,
        stamp,
      ),
    (_, result) => ({ targetId: result?.vmId ?? null, operationId: result?.id ?? null }),
  ),
  startVM: lifecycle('startVM', 'START'),
  stopVM: lifecycle('stopVM', 'STOP'),
  rebootVM: lifecycle('rebootVM', 'REBOOT'),
  deleteVM: lifecycle('deleteVM', 'DELETE'),
  resizeVM: audited(
    'resizeVM',
    'operator',
    (args: MutationResizeVmArgs, { services, tenantId }) =>
      requestAction(services, tenantId, { kind: 'RESIZE', vmId: args.id, idempotencyKey: args.idempotencyKey, instanceType: args.instanceType }),
    onVm,
  ),
  cancelOperation: audited(
    'cancelOperation',
    'operator',
    async (args: { id: string }, { services, tenantId }) => {
      const operation = await cancelOperation(services.db, tenantId, parseId('id', args.id));
      // A create cancelled while queued gives its quota hold back now (a running one is released by its worker).
      if (operation.kind === 'CREATE' && operation.status === 'CANCELLED' && services.placement) {
        await releaseCreateCapacity(services.placement, { tenantId, operationId: operation.id }).catch(() => false); // best effort: the hold expires
      }
      return operation;
    },
    (args) => ({ targetId: args.id.slice(0, 64), operationId: null }),
  ),
  setProviderCredentials: audited(
    'setProviderCredentials',
    'admin',
    (args: { input: { provider: string; credentials: unknown } }, { services, tenantId }, identity) =>
      setProviderCredentials(services.db, services.providers, services.credentialKeys, {
        tenantId,
        actor: identity.subject,
        provider: args.input.provider,
        credentials: args.input.credentials,
      }),
    (args) => ({ targetId: args.input.provider.slice(0, 64) }),
  ),
  updateTenantSettings: audited(
    'updateTenantSettings',
    'admin',
    async (args: { input: { displayName: string; contactEmail?: string | null } }, { services, tenantId }, identity) =>
      (await updateTenantSettings(services.db, tenantId, identity.subject, args.input))!,
  ),
} as MutationResolvers;
