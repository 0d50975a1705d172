/**
 * The storage functions benchmarks and other tooling drive directly (the subgraph itself uses
 * them through its resolvers, collector and OTLP endpoint).
 */
export { writeSamples } from './domain/writeSamples.ts';
export { rollUpPending } from './domain/rollUpPending.ts';
export { maintainPartitions, defaultRetention } from './domain/retention.ts';
export type { RetentionSettings } from './domain/retention.ts';
export { applyVmEvents } from './domain/applyVmEvents.ts';
export type { VmEvent, VmPayload } from './domain/VmEvent.ts';
export type { Sample } from './domain/Sample.ts';
export { migrateMetrics } from './db/migrateMetrics.ts';
export { encodeOtlpProtobuf } from './otlp/decodeOtlpProtobuf.ts';
