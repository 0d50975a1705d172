import { badInput } from '@novacron/errors';
import { authorize } from '@novacron/subgraph-kit';
import type { BillingContext } from '../context.ts';
import { setBudgetWebhook } from '../domain/budgetWebhooks.ts';
import { assertUuid, createBudget, deleteBudget, listBudgets, updateBudget } from '../domain/budgets.ts';
import { releaseBudgetReservation, reserveBudget } from '../domain/reserveBudget.ts';
import type { BudgetInput } from '../domain/validateBudgetInput.ts';

/** A budget as the Budget type resolves it: the row with this period's spend. */
async function withStatus(context: BillingContext, tenantId: string, id: string) {
  const all = await listBudgets(context.services.db, tenantId, context.services.now());
  return all.find((status) => status.budget.id === id)!;
}

interface ReservationArgs {
  operationId: string;
  vmId?: string | null;
  spec: { provider: string; region: string; instanceType: string; image: string; labels?: Record<string, string> | null; spot?: boolean | null };
}

/** Billing's mutations: budgets and the webhook (admin), reservations (operator, called by vms). */
export const Mutation = {
  async createBudget(_parent: unknown, args: { input: BudgetInput }, context: BillingContext) {
    const identity = authorize(context, 'admin');
    const budget = await createBudget(context.services.db, identity.tenantId, args.input);
    return withStatus(context, identity.tenantId, budget.id);
  },
  async updateBudget(_parent: unknown, args: { id: string; input: BudgetInput }, context: BillingContext) {
    const identity = authorize(context, 'admin');
    assertUuid(args.id, 'id');
    const budget = await updateBudget(context.services.db, identity.tenantId, args.id, args.input);
    return withStatus(context, identity.tenantId, budget.id);
  },
  deleteBudget(_parent: unknown, args: { id: string }, context: BillingContext) {
    const identity = authorize(context, 'admin');
    assertUuid(args.id, 'id');
    return deleteBudget(context.services.db, identity.tenantId, args.id);
  },
  async setBudgetWebhook(_parent: unknown, args: { input: { url: string; secret?: string | null } }, context: BillingContext) {
    const identity = authorize(context, 'admin');
    const { webhook, secret } = await setBudgetWebhook(context.services.db, context.services.secretKeys, identity.tenantId, args.input, { production: context.services.config.production });
    return { ...webhook, secret };
  },
  reserveBudget(_parent: unknown, args: ReservationArgs, context: BillingContext) {
    const identity = authorize(context, 'operator');
    if (args.vmId) assertUuid(args.vmId, 'vmId');
    const labels: unknown = args.spec.labels ?? {};
    if (typeof labels !== 'object' || labels === null || Array.isArray(labels) || Object.values(labels).some((value) => typeof value !== 'string')) {
      throw badInput('spec.labels', 'labels must be an object of string values');
    }
    const spec = { ...args.spec, labels: labels as Record<string, string>, spot: args.spec.spot ?? false };
    return reserveBudget(context.services.db, identity.tenantId, { operationId: args.operationId, vmId: args.vmId ?? null, spec }, {
      catalog: context.services.catalog,
      now: context.services.now(),
      holdSeconds: context.services.config.billing.reservationHoldSeconds,
    });
  },
  releaseBudgetReservation(_parent: unknown, args: { operationId: string }, context: BillingContext) {
    const identity = authorize(context, 'operator');
    return releaseBudgetReservation(context.services.db, identity.tenantId, args.operationId);
  },
};
