/**
 * Instance metrics a real driver reads from its cloud's monitoring service, in the shape the
 * ProviderDriver `metrics` method takes (being added to the interface by the metrics work; the
 * real drivers already implement it).
 */

/** What NovaCron samples. */
export type MetricKind = 'CPU_PERCENT' | 'MEMORY_PERCENT' | 'NETWORK_IN_BYTES' | 'NETWORK_OUT_BYTES' | 'DISK_READ_BYTES' | 'DISK_WRITE_BYTES';

/** Which instances, over which time range. */
export interface MetricsRequest {
  instances: { providerId: string; region: string; vmId: string; labels: Record<string, string> }[];
  from: Date;
  to: Date;
}

/** One sample: a point of one kind for one VM. */
export interface MetricSample {
  vmId: string;
  kind: MetricKind;
  t: Date;
  value: number;
}

/** A driver that reads metrics. Memory needs an agent in the guest on every cloud, so real drivers report none without one. */
export interface MetricsSource {
  metrics(request: MetricsRequest): Promise<MetricSample[]>;
}
