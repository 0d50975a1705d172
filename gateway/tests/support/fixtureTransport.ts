import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@novacron/server-kit';
import type { SubscriptionEngine } from '../../src/subscriptions/createSubscriptionEngine.ts';
import { createWebSocketServer, type WebSocketLimits, type WebSocketServerOptions } from '../../src/subscriptions/createWebSocketServer.ts';
import { itemsSchema, viewerScope } from './feedFixture.ts';

/** The limits the transport suites run with unless they say otherwise. */
const testLimits: WebSocketLimits = {
  maxSubscriptionsPerConnection: 10,
  maxConnectionsPerAddress: 10,
  maxConnectionsPerTenant: 10,
  maxMessageBytes: 64 * 1024,
  maxBufferedBytes: 1024 * 1024,
  connectionInitTimeoutMs: 5_000,
  keepAliveMs: 60_000,
};

/**
 * The real WebSocket transport on a free port in front of `engine` (over the fixture's `items` schema,
 * every check passing, the fixture's viewer authenticated), with `overrides` and `limits` on top.
 * `close` stops the engine, the tail, the transport and the HTTP server, in that order.
 */
export async function listenFixtureTransport(
  engine: SubscriptionEngine,
  tail: { close(): void },
  overrides: Partial<Omit<WebSocketServerOptions, 'httpServer' | 'engine' | 'limits'>> & { limits?: Partial<WebSocketLimits> } = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const httpServer = createServer();
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { limits, ...options } = overrides;
  const transport = createWebSocketServer({
    path: '/graphql',
    schema: itemsSchema,
    guard: () => null,
    admitAddress: async () => {},
    admitTenant: async () => {},
    executeOperation: async () => ({ data: null }),
    authenticate: async () => viewerScope,
    logger: createLogger('test', 'silent'),
    production: false,
    ...options,
    httpServer,
    engine,
    limits: { ...testLimits, ...limits },
  });
  return {
    url: `ws://127.0.0.1:${(httpServer.address() as AddressInfo).port}/graphql`,
    close: async () => {
      engine.close();
      tail.close();
      await transport.close();
      await new Promise((resolve) => httpServer.close(resolve));
    },
  };
}
