/**
 * Drizzle tables of the metrics subgraph (Postgres schema `metrics`). The migrations in drizzle/ are
 * hand-written because drizzle cannot declare range partitions: `samples` is partitioned by day,
 * `rollups_5m` and `rollups_1h` by month (see `metrics.maintain_partitions`). Nothing here reads
 * another subgraph's tables; `vms` is this subgraph's own projection of the vms VM stream.
 */
import { bigint, doublePrecision, integer, jsonb, pgSchema, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { eventRetentionTable, eventTable, streamCursorTable } from '@novacron/subgraph-kit';

export const metricsSchema = pgSchema('metrics');

/** The six metric kinds, in the order the API lists them. */
export const metricKindNames = ['CPU_PERCENT', 'MEMORY_PERCENT', 'NETWORK_IN_BYTES', 'NETWORK_OUT_BYTES', 'DISK_READ_BYTES', 'DISK_WRITE_BYTES'] as const;

export const metricKind = metricsSchema.enum('metric_kind', metricKindNames);

/** A metric kind, as stored and as the API names it. */
export type MetricKind = (typeof metricKind.enumValues)[number];

/** What this subgraph knows of each VM, from the vms VM stream. */
export const vms = metricsSchema.table('vms', {
  vmId: uuid('vm_id').primaryKey(),
  tenantId: text('tenant_id').notNull(),
  name: text('name').notNull(),
  provider: text('provider').notNull(),
  region: text('region').notNull(),
  status: text('status').notNull(),
  providerId: text('provider_id'),
  labels: jsonb('labels').$type<Record<string, string>>().notNull().default({}),
  version: integer('version').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  deletedAt: timestamp('deleted_at', { withTimezone: true }),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
});

/** When each VM was RUNNING (`stoppedAt` null: running now). */
export const vmRunningIntervals = metricsSchema.table(
  'vm_running_intervals',
  {
    vmId: uuid('vm_id').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    stoppedAt: timestamp('stopped_at', { withTimezone: true }),
  },
  (table) => [primaryKey({ name: 'vm_running_intervals_pk', columns: [table.vmId, table.startedAt] })],
);

/** Raw samples (partitioned by day). */
export const samples = metricsSchema.table(
  'samples',
  {
    vmId: uuid('vm_id').notNull(),
    kind: metricKind('kind').notNull(),
    ts: timestamp('ts', { withTimezone: true }).notNull(),
    value: doublePrecision('value').notNull(),
  },
  (table) => [primaryKey({ name: 'samples_pk', columns: [table.vmId, table.kind, table.ts] })],
);

function rollupTable(name: 'rollups_5m' | 'rollups_1h') {
  return metricsSchema.table(
    name,
    {
      vmId: uuid('vm_id').notNull(),
      kind: metricKind('kind').notNull(),
      bucketStart: timestamp('bucket_start', { withTimezone: true }).notNull(),
      count: integer('count').notNull(),
      sum: doublePrecision('sum').notNull(),
      min: doublePrecision('min').notNull(),
      max: doublePrecision('max').notNull(),
      sketchKeys: integer('sketch_keys').array().notNull(),
      sketchCounts: integer('sketch_counts').array().notNull(),
    },
    (table) => [primaryKey({ name: `${name}_pk`, columns: [table.vmId, table.kind, table.bucketStart] })],
  );
}

/** 5-minute rollups (partitioned by month). */
export const rollups5m = rollupTable('rollups_5m');
/** 1-hour rollups (partitioned by month). */
export const rollups1h = rollupTable('rollups_1h');

function pendingTable(name: 'rollup_pending_5m' | 'rollup_pending_1h') {
  return metricsSchema.table(
    name,
    {
      vmId: uuid('vm_id').notNull(),
      kind: metricKind('kind').notNull(),
      bucketStart: timestamp('bucket_start', { withTimezone: true }).notNull(),
    },
    (table) => [primaryKey({ name: `${name}_pk`, columns: [table.vmId, table.kind, table.bucketStart] })],
  );
}

/** 5-minute buckets whose raw samples changed since their last rollup. */
export const rollupPending5m = pendingTable('rollup_pending_5m');
/** 1-hour buckets whose 5-minute rollups changed since their last rollup. */
export const rollupPending1h = pendingTable('rollup_pending_1h');

/** The last point of each OTLP cumulative stream (to turn cumulative sums into deltas). */
export const otlpCumulativeStreams = metricsSchema.table('otlp_cumulative_streams', {
  streamKey: text('stream_key').primaryKey(),
  vmId: uuid('vm_id').notNull(),
  startTimeNs: text('start_time_ns').notNull(),
  timeNs: text('time_ns').notNull(),
  value: doublePrecision('value').notNull(),
});

/** Samples refused at ingest, counted by tenant, source (`otlp`, `collector`) and reason. */
export const ingestRefusals = metricsSchema.table(
  'ingest_refusals',
  {
    tenantId: text('tenant_id').notNull(),
    source: text('source').notNull(),
    reason: text('reason').notNull(),
    count: bigint('count', { mode: 'number' }).notNull(),
    lastAt: timestamp('last_at', { withTimezone: true }).notNull(),
  },
  (table) => [primaryKey({ name: 'ingest_refusals_pk', columns: [table.tenantId, table.source, table.reason] })],
);

/** The live `sample` stream (one event per sample stored by the collector or an OTLP push). */
export const sampleEvents = eventTable(metricsSchema, 'sample_events');
/** How far the sample stream has been pruned. */
export const eventRetention = eventRetentionTable(metricsSchema);
/** Where this subgraph's stream followers are in their sources (the vms VM stream). */
export const streamCursors = streamCursorTable(metricsSchema);
