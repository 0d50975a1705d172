/**
 * The metrics subgraph's configuration: the kit's shared settings and its own, read from the
 * environment once. Nothing else reads process.env. See .env.example for every variable.
 */
import { readEnv } from '@novacron/server-kit';
import { loadSubgraphConfig, type SubgraphConfig } from '@novacron/subgraph-kit';
import type { RetentionSettings } from './domain/retention.ts';

/** Parsed configuration. */
export interface MetricsConfig extends SubgraphConfig {
  collector: {
    /** How often the collector asks the drivers for samples (`METRICS_COLLECT_INTERVAL_MS`). */
    intervalMs: number;
    /** The simulated clouds' sample interval (a minute; tests use less). */
    simulatedIntervalMs: number;
    /** How often the vms VM stream is read, besides its signals. */
    followPollIntervalMs: number;
  };
  /** How often pending buckets are rolled up; rollup-resolution series lag by at most this. */
  rollupIntervalMs: number;
  /** How often partitions are created ahead and dropped by retention. */
  maintenanceIntervalMs: number;
  retention: RetentionSettings;
  /** Most points one series may return. */
  maxPoints: number;
  /** Samples stamped further ahead than this are refused (clock skew allowance). */
  maxFutureMs: number;
  /** Largest OTLP export body accepted, in bytes (also after gzip inflation). */
  otlpMaxBodyBytes: number;
}

/** Reads the configuration from the environment, with the embedded-default values. */
export function loadConfig(): MetricsConfig {
  return Object.freeze({
    ...loadSubgraphConfig('metrics'),
    collector: {
      intervalMs: readEnv.int('METRICS_COLLECT_INTERVAL_MS', 60_000),
      simulatedIntervalMs: readEnv.int('SIM_METRICS_INTERVAL_MS', 60_000),
      followPollIntervalMs: readEnv.int('METRICS_FOLLOW_POLL_INTERVAL_MS', 1_000),
    },
    rollupIntervalMs: readEnv.int('METRICS_ROLLUP_INTERVAL_MS', 5_000),
    maintenanceIntervalMs: readEnv.int('METRICS_MAINTENANCE_INTERVAL_MS', 3_600_000),
    retention: {
      rawDays: readEnv.int('METRICS_RAW_RETENTION_DAYS', 7),
      rollup5mDays: readEnv.int('METRICS_ROLLUP_5M_RETENTION_DAYS', 90),
      rollup1hDays: readEnv.int('METRICS_ROLLUP_1H_RETENTION_DAYS', 730),
      rawAheadDays: readEnv.int('METRICS_RAW_AHEAD_DAYS', 3),
    },
    maxPoints: readEnv.int('METRICS_MAX_POINTS', 11_000),
    maxFutureMs: readEnv.int('METRICS_MAX_FUTURE_MS', 600_000),
    otlpMaxBodyBytes: readEnv.int('METRICS_OTLP_MAX_BODY_BYTES', 8_000_000),
  });
}
