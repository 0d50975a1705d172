/**
 * Drizzle tables of the billing subgraph. It owns the Postgres schema `billing` and reads no other
 * subgraph's tables: VMs arrive by following the vms event feed (`vms`, `vm_history` are that
 * projection), metrics through the metrics subgraph's API.
 */
import { bigint, boolean, check, index, integer, jsonb, pgSchema, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { eventRetentionTable, eventTable, streamCursorTable } from '@novacron/subgraph-kit';

export const billingSchema = pgSchema('billing');

const micros = (name: string) => bigint(name, { mode: 'bigint' });
const moment = (name: string) => timestamp(name, { withTimezone: true, precision: 3 });

/** The latest state of every VM billing has heard of (one row per VM, newest version wins). */
export const vms = billingSchema.table(
  'vms',
  {
    vmId: uuid('vm_id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    name: text('name').notNull(),
    provider: text('provider').notNull(),
    region: text('region').notNull(),
    instanceType: text('instance_type').notNull(),
    image: text('image').notNull(),
    status: text('status').notNull(),
    labels: jsonb('labels').$type<Record<string, string>>().notNull().default({}),
    spot: boolean('spot').notNull().default(false),
    version: integer('version').notNull(),
    createdAt: moment('created_at').notNull(),
    /** When the DELETED event happened; null while the VM exists. */
    deletedAt: moment('deleted_at'),
    updatedAt: moment('updated_at').notNull(),
  },
  (table) => [index('billing_vms_tenant_idx').on(table.tenantId, table.createdAt)],
);

/** Every VM event billing applied, with the prices of that configuration at that moment. */
export const vmHistory = billingSchema.table(
  'vm_history',
  {
    vmId: uuid('vm_id').notNull(),
    version: integer('version').notNull(),
    tenantId: text('tenant_id').notNull(),
    type: text('type').notNull(),
    occurredAt: moment('occurred_at').notNull(),
    status: text('status').notNull(),
    provider: text('provider').notNull(),
    region: text('region').notNull(),
    instanceType: text('instance_type').notNull(),
    image: text('image').notNull(),
    hasProviderResource: boolean('has_provider_resource').notNull(),
    spot: boolean('spot').notNull(),
    computeMicrosPerHour: micros('compute_micros_per_hour').notNull(),
    computePriced: boolean('compute_priced').notNull(),
    diskGb: integer('disk_gb').notNull(),
    diskMicrosPerGbMonth: micros('disk_micros_per_gb_month').notNull(),
  },
  (table) => [primaryKey({ columns: [table.vmId, table.version] }), index('vm_history_tenant_idx').on(table.tenantId, table.vmId)],
);

/** A budget's scope: every non-empty list must match (labels: every selector). */
export interface BudgetScope {
  providers: string[];
  regions: string[];
  labels: Array<{ key: string; value: string | null }>;
}

/** A threshold in basis points of the amount (8000 = 80 %), of actual or forecast spend. */
export interface BudgetThreshold {
  basisPoints: number;
  basis: 'ACTUAL' | 'FORECAST';
}

export const budgets = billingSchema.table(
  'budgets',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    name: text('name').notNull(),
    amountMicros: micros('amount_micros').notNull(),
    period: text('period').$type<'MONTHLY'>().notNull().default('MONTHLY'),
    scope: jsonb('scope').$type<BudgetScope>().notNull(),
    thresholds: jsonb('thresholds').$type<BudgetThreshold[]>().notNull(),
    action: text('action').$type<'ALERT' | 'BLOCK_CREATE'>().notNull(),
    version: integer('version').notNull().default(1),
    createdAt: moment('created_at').notNull().defaultNow(),
    updatedAt: moment('updated_at').notNull().defaultNow(),
  },
  (table) => [uniqueIndex('budgets_tenant_name_idx').on(table.tenantId, table.name)],
);

/**
 * Budget held for a VM being created (DESIGN-NOTES §8), keyed by the creating operation. HELD counts
 * against every budget in `budgetIds` until the VM runs (CONFIRMED: its own rate now counts), fails
 * or is cancelled (RELEASED), or never appears before `expiresAt` (EXPIRED). REFUSED records a refusal
 * so a retried reservation gets the same answer.
 */
export const budgetReservations = billingSchema.table(
  'budget_reservations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    operationId: text('operation_id').notNull(),
    vmId: uuid('vm_id'),
    status: text('status').$type<'HELD' | 'CONFIRMED' | 'RELEASED' | 'EXPIRED' | 'REFUSED'>().notNull(),
    spec: jsonb('spec').$type<Record<string, unknown>>().notNull(),
    amountMicros: micros('amount_micros').notNull(),
    budgetIds: uuid('budget_ids').array().notNull(),
    /** The budget that refused it, for REFUSED. */
    refusedBy: uuid('refused_by'),
    periodStart: moment('period_start').notNull(),
    expiresAt: moment('expires_at').notNull(),
    vmSeenAt: moment('vm_seen_at'),
    createdAt: moment('created_at').notNull().defaultNow(),
    updatedAt: moment('updated_at').notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('budget_reservations_operation_idx').on(table.tenantId, table.operationId),
    index('budget_reservations_vm_idx').on(table.vmId),
    index('budget_reservations_held_idx').on(table.status, table.expiresAt),
  ],
);

/** A threshold that fired in a period: the primary key is what makes it fire once. */
export const budgetThresholdCrossings = billingSchema.table(
  'budget_threshold_crossings',
  {
    budgetId: uuid('budget_id').notNull(),
    periodStart: moment('period_start').notNull(),
    /** `ACTUAL:8000`. */
    threshold: text('threshold').notNull(),
    tenantId: text('tenant_id').notNull(),
    spentMicros: micros('spent_micros').notNull(),
    forecastMicros: micros('forecast_micros').notNull(),
    firedAt: moment('fired_at').notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.budgetId, table.periodStart, table.threshold] })],
);

/** A tenant's budget webhook (one per tenant; `setBudgetWebhook` replaces it). */
export const budgetWebhooks = billingSchema.table(
  'budget_webhooks',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull().unique(),
    url: text('url').notNull(),
    /**
     * The HMAC-SHA256 key (shown to the admin once, when set), AES-256-GCM encrypted with
     * `@novacron/secrets` under `CREDENTIALS_KEYS`, bound to the tenant (see webhookSecretCipher.ts).
     */
    secretKeyId: text('secret_key_id'),
    secretNonce: text('secret_nonce'),
    secretCiphertext: text('secret_ciphertext'),
    secretAuthTag: text('secret_auth_tag'),
    /** Only rows written before migration 0001, until the subgraph's start encrypts them (then null). */
    plaintextSecret: text('plaintext_secret'),
    createdAt: moment('created_at').notNull().defaultNow(),
    updatedAt: moment('updated_at').notNull().defaultNow(),
  },
  () => [check('budget_webhooks_one_secret', sql`num_nonnulls(secret_ciphertext, plaintext_secret) = 1`)],
);

/** One event to deliver to a webhook, retried with backoff until delivered or out of attempts. */
export const webhookDeliveries = billingSchema.table(
  'webhook_deliveries',
  {
    /** The delivery id, sent in a header so receivers can drop duplicates (delivery is at least once). */
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    webhookId: uuid('webhook_id').notNull(),
    url: text('url').notNull(),
    eventType: text('event_type').notNull(),
    /** The exact bytes signed and sent. */
    body: text('body').notNull(),
    status: text('status').$type<'PENDING' | 'DELIVERED' | 'FAILED'>().notNull().default('PENDING'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: moment('next_attempt_at').notNull().defaultNow(),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    createdAt: moment('created_at').notNull().defaultNow(),
    deliveredAt: moment('delivered_at'),
  },
  (table) => [
    index('webhook_deliveries_due_idx').on(table.status, table.nextAttemptAt),
    index('webhook_deliveries_tenant_idx').on(table.tenantId, table.createdAt),
  ],
);

/** A day whose spend in a scope was far above its trailing baseline. */
export const costAnomalies = billingSchema.table(
  'cost_anomalies',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    /** `TENANT`, `PROVIDER:aws`, or `BUDGET:<id>`. */
    scopeKey: text('scope_key').notNull(),
    day: moment('day').notNull(),
    spendMicros: micros('spend_micros').notNull(),
    baselineMeanMicros: micros('baseline_mean_micros').notNull(),
    baselineStddevMicros: micros('baseline_stddev_micros').notNull(),
    detectedAt: moment('detected_at').notNull().defaultNow(),
  },
  (table) => [uniqueIndex('cost_anomalies_scope_day_idx').on(table.tenantId, table.scopeKey, table.day)],
);

/** The `budgetAlerts` stream's outbox (`alert`), written in the transaction that detects the alert. */
export const alertEvents = eventTable(billingSchema, 'alert_events');
/** How far the `alert` stream has been pruned. */
export const eventRetention = eventRetentionTable(billingSchema);
/** Cursors of the streams billing follows (the vms `vm` stream). */
export const streamCursors = streamCursorTable(billingSchema);
