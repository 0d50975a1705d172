import { createNovaCronSubscriptions, type NovaCronSubscriptions } from '@novacron/sdk';
import { cacheExchange, Client, fetchExchange, subscriptionExchange } from 'urql';

/** The dashboard's GraphQL transport: urql over HTTP, and one graphql-ws socket for every subscription. */
export interface GraphQLTransport {
  client: Client;
  /** The SDK's graphql-ws client (resumable `vmEvents`), shared with urql's subscriptions. */
  subscriptions: NovaCronSubscriptions;
  dispose(): void;
}

export function createGraphQLClient(token: string): GraphQLTransport {
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  const subscriptions = createNovaCronSubscriptions({
    url: `${scheme}://${window.location.host}/graphql`,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 20,
  });
  const client = new Client({
    url: '/graphql',
    // Apollo's CSRF prevention refuses simple GET requests: always POST JSON.
    preferGetMethod: false,
    fetchOptions: () => ({ headers: { authorization: `Bearer ${token}` } }),
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => {
          const input = { ...request, query: request.query ?? '' };
          return {
            subscribe: (sink) => ({ unsubscribe: subscriptions.client.subscribe(input, sink) }),
          };
        },
      }),
    ],
  });
  return { client, subscriptions, dispose: () => void subscriptions.dispose() };
}
