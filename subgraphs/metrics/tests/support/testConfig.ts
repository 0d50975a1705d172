import type { MetricsConfig } from '../../src/config.ts';
import { defaultRetention } from '../../src/domain/retention.ts';

/** A configuration for tests: port 0, fast intervals. */
export function testConfig(databaseUrl: string, keysDir: string, overrides: Partial<MetricsConfig> = {}): MetricsConfig {
  return {
    host: '127.0.0.1',
    port: 0,
    databaseUrl,
    production: false,
    security: { internalTokenPublicKeyPem: undefined, keysDir },
    collector: { intervalMs: 200, simulatedIntervalMs: 1_000 },
    rollupIntervalMs: 200,
    maintenanceIntervalMs: 60_000,
    retention: defaultRetention,
    maxPoints: 11_000,
    maxFutureMs: 600_000,
    otlpMaxBodyBytes: 1_000_000,
    ...overrides,
  };
}
