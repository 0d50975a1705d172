import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphQLDataSource } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { internalTokenHeader, type Identity } from '@novacron/auth';
import { responseMaxAgeHeader } from '@novacron/server-kit';
import { createSubgraphDataSource } from '../src/createSubgraphDataSource.ts';
import type { GatewayContext } from '../src/GatewayContext.ts';

// A real HTTP server stands in for the subgraph; each test picks the answer by the operation name.
interface Received {
  method: string;
  headers: IncomingMessage['headers'];
  body: string;
}
let server: Server;
let url: string;
const received: Received[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      received.push({ method: request.method ?? '', headers: request.headers, body });
      const { operationName } = JSON.parse(body) as { operationName?: string };
      if (operationName === 'Forbidden') {
        response.writeHead(403, 'Forbidden', { 'content-type': 'application/json' }).end('{"error":"no"}');
      } else if (operationName === 'Text') {
        response.writeHead(200, { 'content-type': 'text/plain' }).end('not json');
      } else if (operationName === 'Bounded') {
        response.writeHead(200, { 'content-type': 'application/json', [responseMaxAgeHeader]: '750' }).end('{"data":{"n":1}}');
      } else {
        response.writeHead(200, { 'content-type': 'application/graphql-response+json; charset=utf-8' }).end('{"data":{"n":2},"errors":[{"message":"partial"}]}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const identity: Identity = { subject: 'operator@acme', tenantId: 'acme', roles: ['operator'] } as Identity;

function dataSource(): GraphQLDataSource<GatewayContext> {
  return createSubgraphDataSource({
    name: 'vms',
    url,
    timeoutMs: 5_000,
    signInternalToken: async (caller) => `token-for-${caller.subject}`,
    injectHeaders: (set) => set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'),
  });
}

function send(source: GraphQLDataSource<GatewayContext>, operationName: string, context: GatewayContext) {
  // @apollo/gateway does not export the request-kind enum; the data source never reads the kind.
  const options = { kind: 'incoming operation', request: { query: `query ${operationName} { n }`, variables: { a: 1 }, operationName }, incomingRequestContext: {}, context };
  return source.process(options as unknown as Parameters<GraphQLDataSource<GatewayContext>['process']>[0]);
}

describe('the subgraph data source', () => {
  it('posts the query first, with the caller in the internal token and the trace headers, and returns the answer with its errors', async () => {
    received.length = 0;
    const answer = await send(dataSource(), 'Plain', { identity });
    expect(answer).toEqual({ data: { n: 2 }, errors: [{ message: 'partial' }] });
    const [request] = received;
    expect(request?.method).toBe('POST');
    expect(request?.body).toBe('{"query":"query Plain { n }","variables":{"a":1},"operationName":"Plain"}');
    expect(request?.headers).toMatchObject({ 'content-type': 'application/json', [internalTokenHeader]: 'token-for-operator@acme', traceparent: expect.stringMatching(/^00-/) });
  });

  it("keeps the shortest of the subgraphs' reuse bounds in the request's context", async () => {
    const context: GatewayContext = { identity, reuseMaxAgeMs: 2_000 };
    await send(dataSource(), 'Bounded', context);
    expect(context.reuseMaxAgeMs).toBe(750);
    const unbounded: GatewayContext = { identity };
    await send(dataSource(), 'Plain', unbounded);
    expect(unbounded.reuseMaxAgeMs).toBeUndefined();
  });

  it('answers a refused fetch with a coded error carrying the status and body', async () => {
    const error = await send(dataSource(), 'Forbidden', { identity }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GraphQLError);
    expect((error as GraphQLError).message).toBe('403: Forbidden');
    expect((error as GraphQLError).extensions).toMatchObject({ code: 'FORBIDDEN', response: { status: 403, statusText: 'Forbidden', body: { error: 'no' } } });
  });

  it('refuses an answer that is not a JSON object', async () => {
    await expect(send(dataSource(), 'Text', { identity })).rejects.toThrow('Expected JSON response body, but received: not json');
  });
});
