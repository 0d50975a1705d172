import { createOutbox, defineEventStream } from '@novacron/subgraph-kit';

/** Billing's event streams: `alert` (alert_events) feeds `Subscription.budgetAlerts`. */
export const billingOutbox = createOutbox('billing', [defineEventStream({ key: 'alert', table: 'alert_events' })]);
