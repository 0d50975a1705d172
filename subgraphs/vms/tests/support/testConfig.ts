import type { VmsConfig } from '../../src/config.ts';

/** A configuration for tests: port 0, no simulated latency, short leases. */
export function testConfig(databaseUrl: string, overrides: Partial<VmsConfig> = {}): VmsConfig {
  return {
    name: 'vms',
    host: '127.0.0.1',
    port: 0,
    metricsPort: 0,
    databaseUrl,
    production: false,
    security: { internalTokenPublicKeyPem: undefined, internalTokenPrivateKeyPem: undefined, internalTokenKeyId: 'internal-1', credentialKeys: undefined, credentialActiveKeyId: undefined, keysDir: overrides.security?.keysDir ?? '' },
    events: { redisUrl: undefined, redisPrefix: 'novacron-test', retentionSeconds: 86_400, pruneIntervalMs: 60_000 },
    subgraphUrls: { vms: 'http://127.0.0.1:0/graphql' },
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
    },
    ...overrides,
  };
}
