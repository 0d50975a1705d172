import { createOutbox, defineEventStream } from '@novacron/subgraph-kit';
import { postgresEventChannel } from '@novacron/events';
import type { MetricKind } from '../db/schema.ts';
import type { Queryable } from './Queryable.ts';
import type { Sample } from './Sample.ts';
import { arrayLiteral } from './writeSamples.ts';

/** The metrics subgraph's event streams: `sample`, one event per sample stored live. */
export const metricsOutbox = createOutbox('metrics', [defineEventStream({ key: 'sample', table: 'sample_events' })]);

/**
 * Appends one `sample` event per stored sample, in the ingesting transaction, and signals the stream
 * at commit. One multi-row statement instead of the kit's `append` per event (two statements each):
 * an OTLP export carries thousands of samples. The rows have the kit's outbox shape, so the kit's
 * feed, pruning and RESYNC watermark serve them. `version` is the sample's minute since the epoch.
 * Only stored samples get here (written by `writeSamples` first, which checked each VM id and kind),
 * so their columns can travel as unquoted array literals.
 */
export async function appendSampleEvents(tx: Queryable, samples: readonly Sample[], tenantOf: (vmId: string) => string | undefined): Promise<void> {
  const rows = samples.flatMap((sample) => {
    const tenantId = tenantOf(sample.vmId);
    return tenantId === undefined ? [] : [{ sample, tenantId }];
  });
  if (rows.length === 0) return;
  await tx`
    insert into metrics.sample_events (tenant_id, entity_id, keys, version, type, payload)
    select tenant_id, vm_id, array[vm_id], floor(ms / 60000)::int, kind,
           jsonb_build_object('vmId', vm_id, 'kind', kind, 'tMs', ms, 'value', value)
    from unnest(${rows.map((row) => row.tenantId)}::text[], ${arrayLiteral(rows.map((row) => row.sample.vmId))}::text::text[],
                ${arrayLiteral(rows.map((row) => row.sample.kind))}::text::text[], ${arrayLiteral(rows.map((row) => row.sample.t.getTime()))}::text::float8[],
                ${arrayLiteral(rows.map((row) => row.sample.value))}::text::float8[])
      as u(tenant_id, vm_id, kind, ms, value)`;
  await tx`select pg_notify(${postgresEventChannel}, 'metrics.sample')`;
}

/** A stored sample event, as `vmMetricsAt` reads it. */
export interface SampleEvent {
  tenantId: string;
  sample: Sample;
}

/** The sample event at a stream cursor, or null (pruned, or never existed). */
export async function findSampleEvent(sql: Queryable, cursor: string): Promise<SampleEvent | null> {
  const position = metricsOutbox.decodeCursor('sample', cursor, 'cursor');
  const [row] = await sql<{ tenant_id: string; payload: { vmId: string; kind: MetricKind; tMs: number; value: number } }[]>`
    select tenant_id, payload from metrics.sample_events where seq = ${position.seq} and txid = ${position.txid}::xid8`;
  if (!row) return null;
  const { vmId, kind, tMs, value } = row.payload;
  return { tenantId: row.tenant_id, sample: { vmId, kind, t: new Date(tMs), value } };
}
