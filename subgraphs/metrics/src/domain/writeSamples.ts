import type { Queryable } from './Queryable.ts';
import type { Sample } from './Sample.ts';

/**
 * Stores samples in one multi-row statement (arrays through `unnest`) and marks their 5-minute
 * buckets for the rollup job in the same statement, so no committed sample is missed by a rollup.
 * The same VM, kind and timestamp twice: the later one wins — later in the batch, or a later batch
 * (`on conflict … do update`). Rows are written in key order so concurrent batches cannot deadlock.
 * Callers validate first (see `ingestSamples`); returns how many distinct samples were written.
 */
export async function writeSamples(sql: Queryable, samples: readonly Sample[]): Promise<number> {
  if (samples.length === 0) return 0;
  const latest = new Map<string, Sample>();
  for (const sample of samples) latest.set(`${sample.vmId}|${sample.kind}|${sample.t.getTime()}`, sample);
  const rows = [...latest.values()].sort(compareSamples);
  const vmIds = rows.map((row) => row.vmId);
  const kinds = rows.map((row) => row.kind);
  // Epoch milliseconds travel as float8 (cheaper to build and parse than ISO strings); to_timestamp
  // rounds to the microsecond, which is exact for whole milliseconds.
  const times = rows.map((row) => row.t.getTime());
  const values = rows.map((row) => row.value);
  await sql`
    with input as (
      select vm_id, kind, to_timestamp(ms / 1000) as ts, value
      from unnest(${vmIds}::uuid[], ${kinds}::text[]::metrics.metric_kind[], ${times}::float8[], ${values}::float8[]) as u(vm_id, kind, ms, value)
    ), written as (
      insert into metrics.samples (vm_id, kind, ts, value)
      select vm_id, kind, ts, value from input
      on conflict (vm_id, kind, ts) do update set value = excluded.value
    )
    insert into metrics.rollup_pending_5m (vm_id, kind, bucket_start)
    select distinct vm_id, kind, to_timestamp(floor(extract(epoch from ts) / 300) * 300) from input
    order by 1, 2, 3
    on conflict do nothing`;
  return rows.length;
}

function compareSamples(a: Sample, b: Sample): number {
  if (a.vmId !== b.vmId) return a.vmId < b.vmId ? -1 : 1;
  if (a.kind !== b.kind) return a.kind < b.kind ? -1 : 1;
  return a.t.getTime() - b.t.getTime();
}
