import type { Identity } from '@novacron/auth';
import { AppError, appError } from '@novacron/errors';
import type { Logger } from '@novacron/server-kit';
import type { SubgraphClient } from '@novacron/subgraph-kit';
import type { ValidCreateInput } from './validateCreateInput.ts';

/**
 * Asks billing to hold budget for a VM about to be created (its BLOCK_CREATE budgets; docs/billing.md).
 * Resolves when the create may go ahead; throws BUDGET_EXCEEDED (billing's refusal, with the budget)
 * or BUDGET_CHECK_UNAVAILABLE (billing unreachable and the tenant fails closed).
 */
export type BudgetGuard = (request: { identity: Identity; reservationKey: string; vmId: string; create: ValidCreateInput }) => Promise<void>;

const reserveMutation = /* GraphQL */ `
  mutation ReserveCreateBudget($operationId: String!, $vmId: ID, $spec: BudgetReservationSpecInput!) {
    reserveBudget(operationId: $operationId, vmId: $vmId, spec: $spec) { status reservationId }
  }
`;

/**
 * The guard over the billing subgraph, called with the caller's identity re-signed for billing (its
 * own audience). Fail-closed by default: when billing cannot be reached the create is refused, unless
 * the tenant is listed in `failOpenTenants` (`BUDGET_CHECK_FAIL_OPEN_TENANTS`), whose creates then go
 * ahead unchecked (logged). Held budget is released by billing itself when the VM fails, or is
 * deleted because its create was cancelled (it follows the vms stream), and expires if the VM never
 * appears (this create's transaction rolled back).
 */
export function createBudgetGuard(options: { subgraphs: SubgraphClient; failOpenTenants: readonly string[]; logger?: Logger }): BudgetGuard {
  const failOpen = new Set(options.failOpenTenants);
  return async ({ identity, reservationKey, vmId, create }) => {
    try {
      await options.subgraphs.request(
        'billing',
        reserveMutation,
        {
          operationId: reservationKey,
          vmId,
          spec: { provider: create.provider, region: create.region, instanceType: create.instanceType, image: create.image, labels: create.labels },
        },
        identity,
      );
    } catch (error) {
      if (error instanceof AppError && error.code === 'BUDGET_EXCEEDED') throw error;
      if (failOpen.has(identity.tenantId)) {
        options.logger?.warn({ err: error, tenantId: identity.tenantId }, 'budget check unavailable; tenant fails open, create goes ahead unchecked');
        return;
      }
      throw appError('BUDGET_CHECK_UNAVAILABLE', 'the budget check cannot be reached right now; retry the create later', { reason: 'BILLING_UNAVAILABLE' }, error);
    }
  };
}
