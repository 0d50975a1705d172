/**
 * The part of a subgraph's configuration that every subgraph's tests share: port 0 (a free one), the
 * development keys in `keysDir`, no Redis, no other subgraph reachable. A subgraph's tests spread it
 * into their own `testConfig` and add their settings.
 */
import { parse, type DocumentNode } from 'graphql';
import type { SubgraphConfig } from './SubgraphConfig.ts';
import { defaultFollowerMinIntervalMs } from './follower/startStreamFollower.ts';

/** The schema of a subgraph that serves its outbox's streams and nothing else (`Query.ping` returns anything). */
export const outboxOnlyTypeDefs: DocumentNode = parse(`
  extend schema
    @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@inaccessible", "@composeDirective"])
    @link(url: "https://novacron.dev/streams/v1.0", import: ["@eventStream"])
    @composeDirective(name: "@eventStream")
  type Query { ping: String }
`);

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
    events: { redisUrl: undefined, redisPrefix: 'novacron-test', retentionSeconds: 86_400, pruneIntervalMs: 60_000, followerMinIntervalMs: defaultFollowerMinIntervalMs },
    subgraphUrls: { [name]: 'http://127.0.0.1:0/graphql' },
    // Tests compete with other test files, not with an accept path (as e2e's workers run at WORKER_NICE=0).
    backgroundNice: 0,
    backgroundCgroup: null,
    role: 'all',
  };
}
