import { createOutbox, defineEventStream } from '@novacron/subgraph-kit';
import type { MetricKind } from '../db/schema.ts';
import type { Queryable } from './Queryable.ts';
import type { Sample } from './Sample.ts';

/**
 * The metrics subgraph's event streams: `sample`, one event per sample stored live, appended by
 * `writeSamples` in the ingesting statement (one multi-row insert instead of the kit's `append` per
 * event: an OTLP export carries thousands of samples).
 */
export const metricsOutbox = createOutbox('metrics', [defineEventStream({ key: 'sample', table: 'sample_events' })]);

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
