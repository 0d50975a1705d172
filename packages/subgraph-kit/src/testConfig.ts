/**
 * The part of a subgraph's configuration that every subgraph's tests share: port 0 (a free one), the
 * development keys in `keysDir`, no Redis, no other subgraph reachable. A subgraph's tests spread it
 * into their own `testConfig` and add their settings.
 */
import type { SubgraphConfig } from './SubgraphConfig.ts';

/** The shared test configuration of subgraph `name` against `databaseUrl`. */
export function testSubgraphConfig(name: string, databaseUrl: string, keysDir: string): SubgraphConfig {
  return {
    name,
    host: '127.0.0.1',
    port: 0,
    metricsPort: 0,
    databaseUrl,
    production: false,
    security: { internalTokenPublicKeyPem: undefined, internalTokenPrivateKeyPem: undefined, internalTokenKeyId: 'internal-1', keysDir },
    events: { redisUrl: undefined, redisPrefix: 'novacron-test', retentionSeconds: 86_400, pruneIntervalMs: 60_000 },
    subgraphUrls: { [name]: 'http://127.0.0.1:0/graphql' },
  };
}
