import { testSubgraphConfig } from '@novacron/subgraph-kit/testing';
import type { BillingConfig } from '../../src/config.ts';

/** A configuration for tests: port 0, development keys in `keysDir`, no other subgraph reachable. */
export function testConfig(databaseUrl: string, keysDir: string, overrides: Partial<BillingConfig> = {}): BillingConfig {
  const base = testSubgraphConfig('billing', databaseUrl, keysDir);
  return {
    ...base,
    security: { ...base.security, credentialKeys: undefined, credentialActiveKeyId: undefined },
    // vms answers nowhere: the tests feed the projection themselves; the follower just retries.
    subgraphUrls: { billing: 'http://127.0.0.1:1/graphql', vms: 'http://127.0.0.1:1/graphql' },
    billing: { tasksIntervalMs: 60_000, reservationHoldSeconds: 900, anomalyMinimumUsd: '10', webhookMaxAttempts: 8, webhookBaseDelaySeconds: 30 },
    ...overrides,
  };
}
