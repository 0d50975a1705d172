import type { MetricsConfig } from '../../src/config.ts';
import { defaultRetention } from '../../src/domain/retention.ts';

/** A configuration for tests: port 0, fast intervals. */
export function testConfig(databaseUrl: string, keysDir: string, overrides: Partial<MetricsConfig> = {}): MetricsConfig {
  return {
    name: 'metrics',
    host: '127.0.0.1',
    port: 0,
    metricsPort: 0,
    databaseUrl,
    production: false,
    security: { internalTokenPublicKeyPem: undefined, internalTokenPrivateKeyPem: undefined, internalTokenKeyId: 'internal-1', keysDir },
    events: { redisUrl: undefined, redisPrefix: 'novacron-test', retentionSeconds: 86_400, pruneIntervalMs: 60_000 },
    subgraphUrls: { metrics: 'http://127.0.0.1:0/graphql', vms: 'http://127.0.0.1:1/graphql' },
    collector: { intervalMs: 200, simulatedIntervalMs: 1_000, followPollIntervalMs: 200 },
    rollupIntervalMs: 200,
    maintenanceIntervalMs: 60_000,
    retention: defaultRetention,
    maxPoints: 11_000,
    maxFutureMs: 600_000,
    otlpMaxBodyBytes: 1_000_000,
    ...overrides,
  };
}
