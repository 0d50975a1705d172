import type { Sample } from './Sample.ts';

/** A sample's cursor: its identity (VM, kind, time), opaque to clients. */
export function sampleCursor(sample: Sample): string {
  return Buffer.from(`${sample.vmId}|${sample.kind}|${sample.t.getTime()}`).toString('base64url');
}
