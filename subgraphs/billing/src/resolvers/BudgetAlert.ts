import { badInput } from '@novacron/errors';
import { authorize, streamPayload } from '@novacron/subgraph-kit';
import { and, eq } from 'drizzle-orm';
import type { BudgetAlertKind, ThresholdBasis } from '../__generated__/resolvers-types.ts';
import type { BillingContext } from '../context.ts';
import { alertEvents, costAnomalies } from '../db/schema.ts';
import { billingOutbox } from '../domain/billingOutbox.ts';
import { parseUsd } from '../domain/money.ts';

/** One `budgetAlerts` event as the BudgetAlert type resolves it. */
export interface BudgetAlertEvent {
  cursor: string;
  tenantId: string;
  payload: Record<string, unknown>;
}

/**
 * `Query.budgetAlertAt(cursor, after)`: the payload of one event for the gateway's subscription
 * machinery; null for an event of another tenant (the gateway routes by tenant, this is the check).
 */
export const budgetAlertAt = streamPayload<BillingContext, { after: string | null }, BudgetAlertEvent>({
  authorize: (context) => void authorize(context, 'viewer'),
  parseArgs: (args) => {
    const after = typeof args.after === 'string' && args.after !== '' ? args.after : null;
    if (after) billingOutbox.decodeCursor('alert', after, 'after');
    return { after };
  },
  async load(cursor, _args, context) {
    const identity = authorize(context, 'viewer');
    const position = billingOutbox.decodeCursor('alert', cursor);
    const [row] = await context.services.db
      .select()
      .from(alertEvents)
      .where(and(eq(alertEvents.seq, position.seq), eq(alertEvents.tenantId, identity.tenantId)));
    if (!row) return null;
    if (row.txid !== position.txid) throw badInput('cursor', 'the cursor does not name an event of this stream');
    return { cursor, tenantId: row.tenantId, payload: row.payload };
  },
});

const text = (value: unknown) => (typeof value === 'string' ? value : null);
const money = (value: unknown) => (typeof value === 'string' ? parseUsd(value) : null);

/** BudgetAlert fields over the event payload. */
export const BudgetAlert = {
  id: (event: BudgetAlertEvent) => String(event.payload.id),
  kind: (event: BudgetAlertEvent) => event.payload.kind as BudgetAlertKind,
  cursor: (event: BudgetAlertEvent) => event.cursor,
  budgetId: (event: BudgetAlertEvent) => text(event.payload.budgetId),
  budgetName: (event: BudgetAlertEvent) => text(event.payload.budgetName),
  thresholdPercent: (event: BudgetAlertEvent) => (typeof event.payload.thresholdPercent === 'number' ? event.payload.thresholdPercent : null),
  basis: (event: BudgetAlertEvent) => text(event.payload.basis) as ThresholdBasis | null,
  amount: (event: BudgetAlertEvent) => money(event.payload.amount),
  spent: (event: BudgetAlertEvent) => money(event.payload.spent),
  forecast: (event: BudgetAlertEvent) => money(event.payload.forecast),
  occurredAt: (event: BudgetAlertEvent) => String(event.payload.occurredAt),
  async anomaly(event: BudgetAlertEvent, _args: unknown, context: BillingContext) {
    const id = text(event.payload.anomalyId);
    if (!id) return null;
    const [row] = await context.services.db.select().from(costAnomalies).where(and(eq(costAnomalies.id, id), eq(costAnomalies.tenantId, event.tenantId)));
    return row ?? null;
  },
};
