import { testSubgraphConfig } from '@novacron/subgraph-kit/testing';
import type { MetricsConfig } from '../../src/config.ts';
import { defaultRetention } from '../../src/domain/retention.ts';

/** A configuration for tests: port 0, fast intervals. */
export function testConfig(databaseUrl: string, keysDir: string, overrides: Partial<MetricsConfig> = {}): MetricsConfig {
  return {
    ...testSubgraphConfig('metrics', databaseUrl, keysDir),
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
