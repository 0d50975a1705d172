import { postgresEventChannel } from '@novacron/events';
import type { Queryable } from './Queryable.ts';
import type { Sample } from './Sample.ts';
import { metricKindNames } from '../db/schema.ts';
import { samplesPerEvent } from './sampleStream.ts';
import { isUuid } from './vmDirectory.ts';

const fiveMinutesMs = 300_000;
const kindNames: ReadonlySet<string> = new Set(metricKindNames);

/**
 * Stores samples in one statement (column arrays through `unnest`) and marks their 5-minute buckets
 * for the rollup job in the same statement, so no committed sample is missed by a rollup.
 * The same VM, kind and timestamp twice: the later one wins — later in the batch, or a later batch
 * (`on conflict … do update`). Rows are written in key order so concurrent batches cannot deadlock.
 * Callers validate first (see `ingestSamples`); returns how many distinct samples were written.
 *
 * Measured on the bench's 10,000-sample batches (`--cpu-prof`): the arrays go as pre-built literals
 * (postgres.js's per-element escaping was half the Node time), duplicates are found by a stable sort
 * instead of a map of string keys, and the distinct 5-minute buckets are found in the same pass in
 * Node instead of a `select distinct` over every row in PostgreSQL.
 *
 * With `liveTenantOf`, the same statement also appends one `sample` stream row per VM with a tenant,
 * carrying that VM's stored samples in key order (the live `vmMetrics` feed hands each out as its own
 * event, see `metricsOutbox`; a row per sample was most of PostgreSQL's cost of an OTLP export), and
 * signals the stream at commit: samples and events share one round trip and one copy of the arrays.
 * Batches over `samplesPerEvent` samples are written in slices of that size.
 */
export async function writeSamples(sql: Queryable, samples: readonly Sample[], liveTenantOf?: (vmId: string) => string | undefined): Promise<number> {
  if (samples.length === 0) return 0;
  const rows = isInKeyOrder(samples) ? samples : lastOfEachKeyInOrder(samples);
  if (liveTenantOf && rows.length > samplesPerEvent) {
    let written = 0;
    for (let from = 0; from < rows.length; from += samplesPerEvent) written += await writeSamples(sql, rows.slice(from, from + samplesPerEvent), liveTenantOf);
    return written;
  }
  const count = rows.length;
  const vmIds = new Array<string>(count);
  const kinds = new Array<string>(count);
  // Epoch milliseconds travel as float8 (cheaper to build and parse than ISO strings); to_timestamp
  // rounds to the microsecond, which is exact for whole milliseconds.
  const times = new Array<number>(count);
  const values = new Array<number>(count);
  const bucketVmIds: string[] = [];
  const bucketKinds: string[] = [];
  const bucketTimes: number[] = [];
  const tenantVmIds: string[] = [];
  const tenantIds: string[] = [];
  for (let index = 0; index < count; index++) {
    const sample = rows[index]!;
    const ms = sample.t.getTime();
    vmIds[index] = sample.vmId;
    kinds[index] = sample.kind;
    times[index] = ms;
    values[index] = sample.value;
    // Rows are in (vm, kind, t) order, so each bucket's samples are consecutive.
    const bucket = Math.floor(ms / fiveMinutesMs) * fiveMinutesMs;
    const last = bucketTimes.length - 1;
    if (last < 0 || bucketTimes[last] !== bucket || bucketKinds[last] !== sample.kind || bucketVmIds[last] !== sample.vmId) {
      // The literals below are unquoted: check each distinct VM id and kind once.
      if (last < 0 || bucketVmIds[last] !== sample.vmId) {
        if (!isUuid(sample.vmId)) throw new Error(`not a VM id: ${JSON.stringify(sample.vmId)}`);
        const tenantId = liveTenantOf?.(sample.vmId);
        if (tenantId !== undefined) {
          tenantVmIds.push(sample.vmId);
          tenantIds.push(tenantId);
        }
      }
      if ((last < 0 || bucketKinds[last] !== sample.kind) && !kindNames.has(sample.kind)) throw new Error(`not a metric kind: ${JSON.stringify(sample.kind)}`);
      bucketVmIds.push(sample.vmId);
      bucketKinds.push(sample.kind);
      bucketTimes.push(bucket);
    }
  }
  const columns = sql`unnest(${arrayLiteral(vmIds)}::text::uuid[], ${arrayLiteral(kinds)}::text::metrics.metric_kind[],
                  ${arrayLiteral(times)}::text::float8[], ${arrayLiteral(values)}::text::float8[]) as u(vm_id, kind, ms, value)`;
  const pending = sql`
    insert into metrics.rollup_pending_5m (vm_id, kind, bucket_start)
    select vm_id, kind, to_timestamp(ms / 1000)
    from unnest(${arrayLiteral(bucketVmIds)}::text::uuid[], ${arrayLiteral(bucketKinds)}::text::metrics.metric_kind[], ${arrayLiteral(bucketTimes)}::text::float8[]) as u(vm_id, kind, ms)
    on conflict do nothing`;
  if (tenantIds.length > 0) {
    await sql`
      with input as (select * from ${columns}), written as (
        insert into metrics.samples (vm_id, kind, ts, value)
        select vm_id, kind, to_timestamp(ms / 1000), value from input
        on conflict (vm_id, kind, ts) do update set value = excluded.value
      ), pending as (${pending}), events as (
        insert into metrics.sample_events (tenant_id, entity_id, keys, version, type, payload)
        select t.tenant_id, i.vm_id::text, array[i.vm_id::text], floor(min(i.ms) / 60000)::int, 'samples',
               jsonb_build_object('vmId', i.vm_id::text, 'kinds', jsonb_agg(i.kind::text order by i.kind::text, i.ms),
                                  'tMs', jsonb_agg(i.ms order by i.kind::text, i.ms), 'values', jsonb_agg(i.value order by i.kind::text, i.ms))
        from input i join unnest(${arrayLiteral(tenantVmIds)}::text::uuid[], ${tenantIds}::text[]) as t(vm_id, tenant_id) on t.vm_id = i.vm_id
        group by t.tenant_id, i.vm_id
        order by i.vm_id
        returning 1
      )
      select pg_notify(${postgresEventChannel}, 'metrics.sample') where exists (select 1 from events)`;
    return count;
  }
  await sql`
    with written as (
      insert into metrics.samples (vm_id, kind, ts, value)
      select vm_id, kind, to_timestamp(ms / 1000), value
      from ${columns}
      on conflict (vm_id, kind, ts) do update set value = excluded.value
    )
    ${pending}`;
  return count;
}

/**
 * A PostgreSQL array literal of values that need no quoting: UUIDs (validated before they get here),
 * kind names and finite numbers (JavaScript's shortest round-trip form, which float8 reads back
 * exactly). Hand-rolled because postgres.js escapes every element of an array parameter, which was
 * the largest Node cost of a bulk write in the profile.
 */
export function arrayLiteral(items: readonly (string | number)[]): string {
  return `{${items.join(',')}}`;
}

/** True when every sample's key is strictly greater than the previous one's (sorted, no duplicates). */
function isInKeyOrder(samples: readonly Sample[]): boolean {
  for (let index = 1; index < samples.length; index++) if (compareSamples(samples[index - 1]!, samples[index]!) >= 0) return false;
  return true;
}

/** The last sample of each key, in key order: a stable sort keeps equal keys in arrival order, the last of each run wins. */
function lastOfEachKeyInOrder(samples: readonly Sample[]): Sample[] {
  const sorted = [...samples].sort(compareSamples);
  const result: Sample[] = [];
  for (let index = 0; index < sorted.length; index++) {
    const next = sorted[index + 1];
    if (next === undefined || compareSamples(sorted[index]!, next) !== 0) result.push(sorted[index]!);
  }
  return result;
}

function compareSamples(a: Sample, b: Sample): number {
  if (a.vmId !== b.vmId) return a.vmId < b.vmId ? -1 : 1;
  if (a.kind !== b.kind) return a.kind < b.kind ? -1 : 1;
  return a.t.getTime() - b.t.getTime();
}
