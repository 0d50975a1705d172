import type { MetricKind } from '../db/schema.ts';

/** One measurement of one VM. Values: percent (0–100) or bytes during the sample's interval. */
export interface Sample {
  vmId: string;
  kind: MetricKind;
  t: Date;
  value: number;
}
