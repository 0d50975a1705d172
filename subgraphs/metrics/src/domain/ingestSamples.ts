import type { Queryable } from './Queryable.ts';
import type { RetentionSettings } from './retention.ts';
import type { Sample } from './Sample.ts';
import { writeSamples } from './writeSamples.ts';

/** Why a sample was not stored. */
export type RefusalReason = 'UNKNOWN_VM' | 'OTHER_TENANT' | 'NOT_RUNNING' | 'INVALID_VALUE' | 'OUTSIDE_RETENTION' | 'IN_THE_FUTURE';

/** Where samples come from. */
export type IngestSource = 'otlp' | 'collector';

/**
 * Counts refused samples outside the database (the Prometheus counter
 * `novacron_metrics_ingest_refusals_total{source,reason}`): bounded labels, never a VM or tenant.
 */
export type RefusalCounter = (source: IngestSource, reason: RefusalReason, count: number) => void;

/** Reports a result's refusals to a {@link RefusalCounter}. */
export function reportRefusals(counter: RefusalCounter, source: IngestSource, result: IngestResult): void {
  for (const [reason, count] of Object.entries(result.refused) as [RefusalReason, number | undefined][]) if (count) counter(source, reason, count);
}

/** What an ingest did: samples written, and samples refused by reason. */
export interface IngestResult {
  accepted: number;
  refused: Partial<Record<RefusalReason, number>>;
  /** The samples written (for the live stream). */
  stored?: Sample[];
}

/** Options of {@link ingestSamples}. */
export interface IngestOptions {
  now: Date;
  retention: RetentionSettings;
  /** Samples stamped further than this ahead of `now` are refused (clock skew allowance). */
  maxFutureMs: number;
  /** The tenant of each VM whose stored samples also become `sample` stream events (see `writeSamples`). */
  liveTenantOf?: (vmId: string) => string | undefined;
}

/** Adds `count` refusals of `reason` to a result. */
export function countRefusal(result: IngestResult, reason: RefusalReason, count = 1): void {
  if (count > 0) result.refused[reason] = (result.refused[reason] ?? 0) + count;
}

/**
 * Validates samples whose VMs the caller has already checked (finite, non-negative values inside
 * the raw retention window and not in the future), writes the valid ones in bulk, and returns the
 * counts. Refusals are counted in `metrics.ingest_refusals` by {@link recordRefusals}.
 */
export async function ingestSamples(sql: Queryable, samples: readonly Sample[], options: IngestOptions, result: IngestResult = { accepted: 0, refused: {} }): Promise<IngestResult> {
  const oldest = options.now.getTime() - options.retention.rawDays * 86_400_000;
  const newest = options.now.getTime() + options.maxFutureMs;
  const valid: Sample[] = [];
  for (const sample of samples) {
    const t = sample.t.getTime();
    if (!Number.isFinite(sample.value) || sample.value < 0) countRefusal(result, 'INVALID_VALUE');
    else if (!(t >= oldest)) countRefusal(result, 'OUTSIDE_RETENTION');
    else if (t > newest) countRefusal(result, 'IN_THE_FUTURE');
    else valid.push(sample);
  }
  result.accepted += await writeSamples(sql, valid, options.liveTenantOf);
  result.stored = result.stored ? [...result.stored, ...valid] : valid;
  return result;
}

/** Adds a result's refusals to the per-tenant counters. */
export async function recordRefusals(sql: Queryable, tenantId: string, source: IngestSource, result: IngestResult, now: Date): Promise<void> {
  const entries = Object.entries(result.refused).filter(([, count]) => (count ?? 0) > 0);
  if (entries.length === 0) return;
  const reasons = entries.map(([reason]) => reason);
  const counts = entries.map(([, count]) => count ?? 0);
  await sql`
    insert into metrics.ingest_refusals (tenant_id, source, reason, count, last_at)
    select ${tenantId}, ${source}, reason, count, ${now.toISOString()}::timestamptz
    from unnest(${reasons}::text[], ${counts}::bigint[]) as u(reason, count)
    order by reason
    on conflict (tenant_id, source, reason) do update set count = metrics.ingest_refusals.count + excluded.count, last_at = excluded.last_at`;
}

/** The refusal counters of a tenant, by source and reason. */
export async function readRefusals(sql: Queryable, tenantId: string): Promise<{ source: string; reason: string; count: number }[]> {
  return sql<{ source: string; reason: string; count: number }[]>`
    select source, reason, count::float8 as count from metrics.ingest_refusals where tenant_id = ${tenantId} order by source, reason`;
}
