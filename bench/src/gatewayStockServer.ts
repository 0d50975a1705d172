/**
 * The baseline of the gateway benchmark: a stock `@apollo/gateway` + `@apollo/server` (standalone),
 * default settings, serving the same committed supergraph against the same subgraphs. Its one
 * addition is the header the subgraphs require: a pre-signed internal token per subgraph for the
 * bench's identity (the stock gateway verifies no user token, so it does less work than ours).
 *
 * Run as a process by gatewayBench.ts. Environment: SUPERGRAPH_PATH, STOCK_GATEWAY_PORT,
 * STOCK_SUBGRAPHS (JSON `{ name: { url, internalToken } }`). Prints `listening <url>` when ready.
 */
import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { internalTokenHeader } from '@novacron/auth';

const subgraphs = JSON.parse(process.env.STOCK_SUBGRAPHS ?? '{}') as Record<string, { url: string; internalToken: string }>;
const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(process.env.SUPERGRAPH_PATH ?? '', 'utf8'),
  buildService: ({ name, url }) => {
    const subgraph = subgraphs[name];
    return new RemoteGraphQLDataSource({
      url: subgraph?.url ?? url,
      willSendRequest: ({ request }) => {
        if (subgraph) request.http?.headers.set(internalTokenHeader, subgraph.internalToken);
      },
    });
  },
});
const server = new ApolloServer({ gateway });
const { url } = await startStandaloneServer(server, { listen: { port: Number(process.env.STOCK_GATEWAY_PORT ?? 0), host: '127.0.0.1' } });
console.log(`listening ${url}`);
const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
