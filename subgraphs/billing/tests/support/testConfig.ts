import type { BillingConfig } from '../../src/config.ts';

/** A configuration for tests: port 0, development keys in `keysDir`, no other subgraph reachable. */
export function testConfig(databaseUrl: string, keysDir: string, overrides: Partial<BillingConfig> = {}): BillingConfig {
  return {
    name: 'billing',
    host: '127.0.0.1',
    port: 0,
    metricsPort: 0,
    databaseUrl,
    production: false,
    security: { internalTokenPublicKeyPem: undefined, internalTokenPrivateKeyPem: undefined, internalTokenKeyId: 'internal-1', keysDir, credentialKeys: undefined, credentialActiveKeyId: undefined },
    events: { redisUrl: undefined, redisPrefix: 'novacron-test', retentionSeconds: 86_400, pruneIntervalMs: 60_000 },
    // vms answers nowhere: the tests feed the projection themselves; the follower just retries.
    subgraphUrls: { billing: 'http://127.0.0.1:1/graphql', vms: 'http://127.0.0.1:1/graphql' },
    billing: { tasksIntervalMs: 60_000, reservationHoldSeconds: 900, anomalyMinimumUsd: '10', webhookMaxAttempts: 8, webhookBaseDelaySeconds: 30 },
    ...overrides,
  };
}
