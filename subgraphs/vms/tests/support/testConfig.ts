import { testSubgraphConfig } from '@novacron/subgraph-kit/testing';
import type { VmsConfig } from '../../src/config.ts';

/** A configuration for tests: port 0, no simulated latency, short leases. */
export function testConfig(databaseUrl: string, overrides: Partial<VmsConfig> = {}): VmsConfig {
  const base = testSubgraphConfig('vms', databaseUrl, overrides.security?.keysDir ?? '');
  return {
    ...base,
    security: { ...base.security, credentialKeys: undefined, credentialActiveKeyId: undefined },
    simulated: { latencyMs: { min: 0, max: 0 }, capacityPerRegion: 1_000 },
    reconcile: { intervalMs: 0 },
    worker: {
      healthPort: 0,
      metricsPort: 0,
      concurrency: 4,
      leaseSeconds: 30,
      queuedLeaseSeconds: 300,
      sweepIntervalMs: 200,
      maxRedrives: 3,
      retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
      transitionTimeoutSeconds: 30,
      pollIntervalMs: 200,
      eventSignalIntervalMs: 10,
      coalescing: { above: 100, withinMs: 5_000 },
      // A worker started inside a test process leaves every priority alone.
      nice: 0,
    },
    ...overrides,
  };
}
