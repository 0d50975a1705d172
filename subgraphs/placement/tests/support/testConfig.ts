import { testSubgraphConfig } from '@novacron/subgraph-kit/testing';
import type { PlacementConfig } from '../../src/config.ts';

/** A configuration for tests: port 0, development keys in `keysDir`; the vms follower only when a vms URL is given. */
export function testConfig(databaseUrl: string, keysDir: string, vmsUrl?: string): PlacementConfig {
  return {
    ...testSubgraphConfig('placement', databaseUrl, keysDir),
    subgraphUrls: { placement: 'http://127.0.0.1:0/graphql', ...(vmsUrl ? { vms: vmsUrl } : {}) },
    placement: { capacityBlockSeconds: 600, outcomeWindowSeconds: 86_400, reservationTtlSeconds: 600, reservationSweepIntervalMs: 60_000, stateMaxAgeMs: 1000, responseCache: true, followVms: vmsUrl !== undefined },
  };
}
