/**
 * Drizzle tables of the placement subgraph. It owns the Postgres schema `placement`; no other service
 * reads these tables, and it reads none of theirs (VMs arrive through the vms event feed).
 */
import { sql as sqlTag } from 'drizzle-orm';
import { streamCursorTable } from '@novacron/subgraph-kit';
import { bigserial, doublePrecision, index, integer, jsonb, pgSchema, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const placementSchema = pgSchema('placement');

/** The cursor of the vms `vm` stream follower (kit: written in the transaction that applies a batch). */
export const streamCursors = streamCursorTable(placementSchema);

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
};

/** One row per tenant that set a policy; tenants without a row get the default policy. */
export const policies = placementSchema.table('policies', {
  tenantId: text('tenant_id').primaryKey(),
  allowedProviders: text('allowed_providers').array(),
  allowedRegions: text('allowed_regions').array(),
  deniedInstanceFamilies: text('denied_instance_families').array().notNull().default([]),
  maxHourlyPrice: doublePrecision('max_hourly_price'),
  weightPrice: doublePrecision('weight_price').notNull(),
  weightRegionPreference: doublePrecision('weight_region_preference').notNull(),
  weightReliability: doublePrecision('weight_reliability').notNull(),
  weightHeadroom: doublePrecision('weight_headroom').notNull(),
  ...timestamps,
});

/** vCPU quotas per tenant, provider and region; no row means unlimited. */
export const quotas = placementSchema.table(
  'quotas',
  {
    tenantId: text('tenant_id').notNull(),
    provider: text('provider').notNull(),
    region: text('region').notNull(),
    vcpus: integer('vcpus').notNull(),
    ...timestamps,
  },
  (table) => [primaryKey({ columns: [table.tenantId, table.provider, table.region] })],
);

/**
 * The projection of the vms feed this subgraph needs: one row per VM with what counts against
 * quotas. `version` is the VM's own; older or repeated events are ignored, so replays are harmless.
 */
export const vmUsage = placementSchema.table(
  'vm_usage',
  {
    vmId: uuid('vm_id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    provider: text('provider').notNull(),
    region: text('region').notNull(),
    instanceType: text('instance_type').notNull(),
    vcpus: integer('vcpus').notNull(),
    status: text('status').notNull(),
    version: integer('version').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull(),
  },
  (table) => [index('vm_usage_tenant_capacity_idx').on(table.tenantId, table.provider, table.region)],
);

/** HELD counts against the quota until it expires; CONFIRMED, RELEASED and EXPIRED no longer do. */
export type ReservationStatus = 'HELD' | 'CONFIRMED' | 'RELEASED' | 'EXPIRED';

/** Capacity held for an operation between the quota check and the VM's arrival in the projection. */
export const reservations = placementSchema.table(
  'reservations',
  {
    operationId: text('operation_id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    provider: text('provider').notNull(),
    region: text('region').notNull(),
    vcpus: integer('vcpus').notNull(),
    /** The VM the operation creates, when known: its first event confirms the reservation. */
    vmId: uuid('vm_id'),
    status: text('status').$type<ReservationStatus>().notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 3 }).notNull(),
    ...timestamps,
  },
  (table) => [
    index('reservations_held_idx').on(table.tenantId, table.provider, table.region).where(sqlHeld()),
    index('reservations_vm_idx').on(table.vmId),
  ],
);

function sqlHeld() {
  // drizzle needs an SQL chunk for a partial index; built here to keep the table definition readable.
  return sqlTag`status = 'HELD'`;
}

/** SUCCEEDED or CAPACITY_FAILURE of one create attempt on an offering, across all tenants (capacity is shared). */
export type CreateOutcome = 'SUCCEEDED' | 'CAPACITY_FAILURE';

export const createOutcomes = placementSchema.table(
  'create_outcomes',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    provider: text('provider').notNull(),
    region: text('region').notNull(),
    instanceType: text('instance_type').notNull(),
    outcome: text('outcome').$type<CreateOutcome>().notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [index('create_outcomes_recent_idx').on(table.occurredAt, table.provider, table.region, table.instanceType)],
);

/** One tried offering of a placed create, in order. */
export interface StoredAttempt {
  provider: string;
  region: string;
  instanceType: string;
  outcome: 'PENDING' | 'SUCCEEDED' | 'CAPACITY_FAILURE' | 'FAILED';
  message: string | null;
  at: string;
}

/** A placement decision: what was considered, what was chosen and why, and every attempt. */
export const decisions = placementSchema.table(
  'decisions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: text('tenant_id').notNull(),
    operationId: text('operation_id').notNull().unique(),
    vmId: uuid('vm_id'),
    /** The validated requirements (PlacementRequirements). */
    requirements: jsonb('requirements').$type<Record<string, unknown>>().notNull(),
    /** How many offerings were feasible when ranked (candidates keeps the best few). */
    feasibleCount: integer('feasible_count').notNull(),
    /** The ranked candidates as computed (PlacementCandidate[]). */
    candidates: jsonb('candidates').$type<Record<string, unknown>[]>().notNull(),
    rejected: jsonb('rejected').$type<Record<string, unknown>[]>().notNull(),
    /** Index into candidates of the offering in use (moves on after a capacity failure). */
    chosenIndex: integer('chosen_index'),
    attempts: jsonb('attempts').$type<StoredAttempt[]>().notNull().default([]),
    ...timestamps,
  },
  (table) => [index('decisions_tenant_vm_idx').on(table.tenantId, table.vmId)],
);
