/**
 * The metrics subgraph's configuration, read from the environment once. Nothing else reads
 * process.env. See .env.example for every variable.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readEnv } from '@novacron/server-kit';
import type { RetentionSettings } from './domain/retention.ts';

/** A PEM from `<NAME>` or from the file named by `<NAME>_FILE`. */
function readPem(name: string): string | undefined {
  const file = readEnv.optional(`${name}_FILE`);
  return file ? readFileSync(file, 'utf8') : readEnv.optional(name)?.replaceAll('\\n', '\n');
}

/** Parsed configuration. */
export interface MetricsConfig {
  host: string;
  port: number;
  databaseUrl: string;
  production: boolean;
  security: {
    /** PEM of the gateway's internal-token public key; every request must carry a token it signed. */
    internalTokenPublicKeyPem: string | undefined;
    /** Development keys (embedded default) live here when the above is not configured. */
    keysDir: string;
  };
  collector: {
    /** How often the collector asks the drivers for samples (`METRICS_COLLECT_INTERVAL_MS`). */
    intervalMs: number;
    /** The simulated clouds' sample interval (a minute; tests use less). */
    simulatedIntervalMs: number;
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
  /** Largest OTLP export body accepted, in bytes. */
  otlpMaxBodyBytes: number;
}

/** Reads the configuration from the environment, with the embedded-default values. */
export function loadConfig(): MetricsConfig {
  return Object.freeze({
    host: readEnv.string('METRICS_HOST', '127.0.0.1'),
    port: readEnv.int('METRICS_PORT', 4003),
    databaseUrl: readEnv.optional('METRICS_DATABASE_URL') ?? readEnv.string('DATABASE_URL'),
    production: readEnv.string('NODE_ENV', 'development') === 'production',
    security: {
      internalTokenPublicKeyPem: readPem('INTERNAL_TOKEN_PUBLIC_KEY'),
      keysDir: readEnv.string('NOVACRON_KEYS_DIR', fileURLToPath(new URL('../../../.novacron/keys', import.meta.url))),
    },
    collector: {
      intervalMs: readEnv.int('METRICS_COLLECT_INTERVAL_MS', 60_000),
      simulatedIntervalMs: readEnv.int('SIM_METRICS_INTERVAL_MS', 60_000),
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
