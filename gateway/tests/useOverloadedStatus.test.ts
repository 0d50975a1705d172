import { ApolloServer, HeaderMap } from '@apollo/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appError } from '@novacron/errors';
import { useOverloadedStatus } from '../src/admission/useOverloadedStatus.ts';

// A real Apollo Server whose `refused` field fails as the vms subgraph's admission does (OVERLOADED
// with retryAfterSeconds, as a field error), next to a field that answers.

let relayed = 0;
const server = new ApolloServer({
  typeDefs: 'type Query { refused: String, answered: String }',
  resolvers: {
    Query: {
      refused: () => {
        throw appError('OVERLOADED', 'at capacity', { reason: 'QUEUE_FULL', retryAfterSeconds: 5 });
      },
      answered: () => 'yes',
    },
  },
  plugins: [useOverloadedStatus({ retryAfterSeconds: 1, onRelayed: () => (relayed += 1) })],
});
beforeAll(() => server.start());
afterAll(() => server.stop());

async function post(query: string) {
  const headers = new HeaderMap([['content-type', 'application/json']]);
  const result = await server.executeHTTPGraphQLRequest({ httpGraphQLRequest: { method: 'POST', headers, search: '', body: { query } }, context: async () => ({}) });
  return { status: result.status ?? 200, retryAfter: result.headers.get('retry-after'), body: result.body.kind === 'complete' ? JSON.parse(result.body.string) : null };
}

describe('useOverloadedStatus', () => {
  it("answers a response whose only result is an OVERLOADED refusal with 503 and the refusal's Retry-After", async () => {
    const before = relayed;
    const response = await post('{ refused }');
    expect(response.status).toBe(503);
    expect(response.retryAfter).toBe('5');
    expect(response.body.errors[0].extensions.code).toBe('OVERLOADED');
    expect(relayed).toBe(before + 1);
  });

  it('keeps 200 for a partial result: the data that came back is still an answer', async () => {
    const before = relayed;
    const response = await post('{ refused answered }');
    expect(response.status).toBe(200);
    expect(response.retryAfter).toBeUndefined();
    expect(response.body.data).toEqual({ refused: null, answered: 'yes' });
    expect(relayed).toBe(before);
  });
});
