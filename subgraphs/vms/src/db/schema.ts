/**
 * Drizzle tables of the vms subgraph. The subgraph owns the Postgres schema `vms`; no other service
 * reads these tables (they learn about VMs through events).
 */
import { sql } from 'drizzle-orm';
import { auditLogTable, eventRetentionTable, xid8 } from '@novacron/subgraph-kit';
import { bigserial, boolean, index, integer, jsonb, pgSchema, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const vmsSchema = pgSchema('vms');

/*
 * The enum-like columns, typed once. Domain code, workers and resolvers take their types from here;
 * the GraphQL enums of schema.graphql carry the same values (tests/schemaEnums.test.ts keeps the two
 * in step), so rows flow into the generated resolver types without casts. `text({ enum })` types the
 * column without a database constraint, so adding a value needs no migration.
 */

/** A VM's status (GraphQL `VMStatus`). */
export const vmStatuses = ['PENDING', 'PROVISIONING', 'STARTING', 'RUNNING', 'STOPPING', 'STOPPED', 'REBOOTING', 'RESIZING', 'DELETING', 'DELETED', 'ERROR'] as const;
export type VmStatus = (typeof vmStatuses)[number];

/** What an operation does (GraphQL `OperationKind`). */
export const operationKinds = ['CREATE', 'START', 'STOP', 'REBOOT', 'RESIZE', 'DELETE'] as const;
export type OperationKind = (typeof operationKinds)[number];

/** Where an operation is (GraphQL `OperationStatus`). */
export const operationStatuses = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type OperationStatus = (typeof operationStatuses)[number];

/** Where one step of an operation is (GraphQL `StepStatus`). */
export const stepStatuses = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'SKIPPED'] as const;
export type StepStatus = (typeof stepStatuses)[number];

/** What happened to a VM (GraphQL `VMEventType`). */
export const vmEventTypes = ['CREATED', 'STATE_CHANGED', 'RESIZED', 'DELETED', 'UPDATED', 'DRIFTED'] as const;
export type VmEventType = (typeof vmEventTypes)[number];

/** One step of an operation, as stored in `operations.steps`. */
export interface StoredStep {
  name: string;
  status: StepStatus;
  startedAt: string | null;
  finishedAt: string | null;
  message: string | null;
}

export const vms = vmsSchema.table(
  'vms',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    name: text('name').notNull(),
    provider: text('provider').notNull(),
    region: text('region').notNull(),
    instanceType: text('instance_type').notNull(),
    image: text('image').notNull(),
    status: text('status', { enum: vmStatuses }).notNull(),
    providerId: text('provider_id'),
    privateIp: text('private_ip'),
    publicIp: text('public_ip'),
    labels: jsonb('labels').$type<Record<string, string>>().notNull().default({}),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [
    index('vms_tenant_created_idx').on(table.tenantId, table.createdAt, table.id),
    index('vms_labels_idx').using('gin', table.labels),
  ],
);

export const operations = vmsSchema.table(
  'operations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    kind: text('kind', { enum: operationKinds }).notNull(),
    status: text('status', { enum: operationStatuses }).notNull(),
    progress: integer('progress').notNull().default(0),
    vmId: uuid('vm_id')
      .notNull()
      .references(() => vms.id),
    /** The request, as validated; workers read their parameters from it. */
    input: jsonb('input').$type<Record<string, unknown>>().notNull(),
    /** sha256 of the mutation and its arguments, to tell a replay from a reused key. */
    inputDigest: text('input_digest').notNull(),
    idempotencyKey: text('idempotency_key'),
    steps: jsonb('steps').$type<StoredStep[]>().notNull(),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    errorProviderCode: text('error_provider_code'),
    attempts: integer('attempts').notNull().default(0),
    cancelRequested: boolean('cancel_requested').notNull().default(false),
    /** The worker holding the lease, the lease's generation, and when it lapses. */
    leaseOwner: text('lease_owner'),
    leaseEpoch: integer('lease_epoch').notNull().default(0),
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true, precision: 3 }),
    redriveCount: integer('redrive_count').notNull().default(0),
    /** W3C trace context of the request that accepted the operation; the worker's execution span links to it. */
    traceContext: text('trace_context'),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true, precision: 3 }),
    finishedAt: timestamp('finished_at', { withTimezone: true, precision: 3 }),
  },
  (table) => [
    uniqueIndex('operations_tenant_idempotency_key_idx').on(table.tenantId, table.idempotencyKey).where(sql`${table.idempotencyKey} is not null`),
    // One unfinished operation per VM: lifecycle work on a VM is serialized.
    uniqueIndex('operations_one_active_per_vm_idx').on(table.vmId).where(sql`${table.status} in ('QUEUED', 'RUNNING')`),
    index('operations_tenant_created_idx').on(table.tenantId, table.createdAt, table.id),
    index('operations_vm_created_idx').on(table.vmId, table.createdAt, table.id),
    index('operations_active_lease_idx').on(table.leaseExpiresAt).where(sql`${table.status} in ('QUEUED', 'RUNNING')`),
  ],
);

/**
 * The outbox: every VM change writes its event here in the same transaction, so no committed change
 * is ever without its event. The real-time relay reads it by `seq`.
 */
export const vmEvents = vmsSchema.table(
  'vm_events',
  {
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    txid: xid8('txid').notNull().default(sql`pg_current_xact_id()`),
    tenantId: text('tenant_id').notNull(),
    vmId: uuid('vm_id').notNull(),
    vmVersion: integer('vm_version').notNull(),
    type: text('type', { enum: vmEventTypes }).notNull(),
    operationId: uuid('operation_id'),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [index('vm_events_vm_idx').on(table.vmId, table.vmVersion), index('vm_events_order_idx').on(table.txid, table.seq), index('vm_events_created_idx').on(table.createdAt)],
);

/**
 * Every change of an operation (a trigger writes it in the changing transaction), with a snapshot
 * of the row: what `operationUpdated` subscribers receive, in version order.
 */
export const operationEvents = vmsSchema.table(
  'operation_events',
  {
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    txid: xid8('txid').notNull().default(sql`pg_current_xact_id()`),
    tenantId: text('tenant_id').notNull(),
    operationId: uuid('operation_id').notNull(),
    vmId: uuid('vm_id').notNull(),
    operationVersion: integer('operation_version').notNull(),
    status: text('status', { enum: operationStatuses }).notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [
    index('operation_events_operation_idx').on(table.operationId, table.operationVersion),
    index('operation_events_order_idx').on(table.txid, table.seq),
    index('operation_events_created_idx').on(table.createdAt),
  ],
);

/** How far each event stream has been pruned; a cursor before it can no longer be resumed. */
export const eventRetention = eventRetentionTable(vmsSchema);

/** Every mutation: who, which tenant, what, when, how it ended, and a digest of its input. */
export const auditLog = auditLogTable(vmsSchema);

/** Provider credentials, encrypted at rest with AES-256-GCM; `key_id` names the key for rotation. */
export const providerCredentials = vmsSchema.table(
  'provider_credentials',
  {
    tenantId: text('tenant_id').notNull(),
    provider: text('provider').notNull(),
    keyId: text('key_id').notNull(),
    nonce: text('nonce').notNull(),
    ciphertext: text('ciphertext').notNull(),
    authTag: text('auth_tag').notNull(),
    updatedBy: text('updated_by').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex('provider_credentials_tenant_provider_idx').on(table.tenantId, table.provider)],
);

/** Per-tenant settings an admin manages. */
export const tenantSettings = vmsSchema.table('tenant_settings', {
  tenantId: text('tenant_id').primaryKey(),
  displayName: text('display_name').notNull(),
  contactEmail: text('contact_email'),
  updatedBy: text('updated_by').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

/**
 * Instances tagged managed-by=novacron that no live VM owns, as the reconciler last saw them. A row
 * goes when the instance does (or is deleted after the tenant's grace period); `firstSeenAt` starts it.
 */
export const orphanInstances = vmsSchema.table(
  'orphan_instances',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    provider: text('provider').notNull(),
    providerId: text('provider_id').notNull(),
    region: text('region').notNull(),
    instanceType: text('instance_type').notNull(),
    state: text('state').notNull(),
    /** The VM its tags name, when they name one. */
    vmId: text('vm_id'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex('orphan_instances_instance_idx').on(table.tenantId, table.provider, table.providerId), index('orphan_instances_tenant_created_idx').on(table.tenantId, table.createdAt, table.id)],
);

/** A tenant's opt-in to deleting orphan instances once they have been orphans for `graceSeconds`. */
export const orphanCleanup = vmsSchema.table('orphan_cleanup', {
  tenantId: text('tenant_id').primaryKey(),
  enabled: boolean('enabled').notNull(),
  graceSeconds: integer('grace_seconds').notNull(),
  updatedBy: text('updated_by').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});
