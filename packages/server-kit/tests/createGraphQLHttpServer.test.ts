import { ApolloServer } from '@apollo/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGraphQLHttpServer, createLogger, listen, type RunningHttpServer } from '../src/index.ts';

let ready = true;
let running: RunningHttpServer;
let apollo: ApolloServer;

beforeAll(async () => {
  apollo = new ApolloServer({ typeDefs: 'type Query { hello(name: String!): String! }', resolvers: { Query: { hello: (_: unknown, { name }: { name: string }) => `hello ${name}` } } });
  await apollo.start();
  const server = createGraphQLHttpServer({ apollo, logger: createLogger('test', 'silent'), context: async () => ({}), ready: async () => ready, maxBodyBytes: 1_000 });
  running = await listen(server, 0);
});
afterAll(async () => {
  await running?.close();
  await apollo?.stop();
});

const post = (body: string) => fetch(running.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('createGraphQLHttpServer', () => {
  it('executes GraphQL over POST', async () => {
    const response = await post(JSON.stringify({ query: 'query ($n: String!) { hello(name: $n) }', variables: { n: 'world' } }));
    expect(await response.json()).toEqual({ data: { hello: 'hello world' } });
  });

  it('refuses a body over the limit with 413 before parsing it', async () => {
    const response = await post(JSON.stringify({ query: '{ hello(name: "x") }', padding: 'x'.repeat(2_000) }));
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ errors: [{ message: 'Request body too large', extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
  });

  it('refuses a streamed body (no content-length) once it passes the limit, and still reads one within it', async () => {
    const stream = (parts: string[]) =>
      fetch(running.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: new ReadableStream({
          start(controller) {
            for (const part of parts) controller.enqueue(new TextEncoder().encode(part));
            controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit);
    const over = await stream(['{"query":"{ hello(name: \\"x\\") }","padding":"', 'x'.repeat(600), 'x'.repeat(600), '"}']);
    expect(over.status).toBe(413);
    const within = await stream(['{"query":"{ hello(', 'name: \\"chunks\\") }"}']);
    expect(await within.json()).toEqual({ data: { hello: 'hello chunks' } });
  });

  it('answers /health always and /ready only while ready', async () => {
    const base = new URL(running.url);
    expect((await fetch(new URL('/health', base))).status).toBe(200);
    expect((await fetch(new URL('/ready', base))).status).toBe(200);
    ready = false;
    expect((await fetch(new URL('/ready', base))).status).toBe(503);
    ready = true;
  });

  it('answers 404 for other paths and 400 for malformed JSON', async () => {
    expect((await fetch(new URL('/nope', running.url))).status).toBe(404);
    expect((await post('{not json')).status).toBe(400);
  });

  it('lets answerEarly answer a JSON POST before Apollo, and Apollo serve what it declines', async () => {
    const seen: unknown[] = [];
    const server = createGraphQLHttpServer({
      apollo,
      logger: createLogger('test', 'silent'),
      context: async () => ({}),
      ready: async () => true,
      answerEarly: async (_request, body) => {
        seen.push(body);
        const { query } = body as { query: string };
        if (query.includes('headed')) return { body: '{"data":{"hello":"with a header"}}', headers: { 'x-answered': 'early' } };
        return query.includes('early') ? '{"data":{"hello":"from the cache"}}' : null;
      },
    });
    const early = await listen(server, 0);
    try {
      const send = (query: string, contentType = 'application/json') => fetch(early.url, { method: 'POST', headers: { 'content-type': contentType }, body: JSON.stringify({ query }) });
      const cached = await send('query early { hello(name: "x") }');
      expect(cached.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(await cached.json()).toEqual({ data: { hello: 'from the cache' } });
      expect(await (await send('{ hello(name: "apollo") }')).json()).toEqual({ data: { hello: 'hello apollo' } });
      // A body that is not JSON never reaches it (Apollo answers it, here refusing the content type).
      expect((await send('query early { hello(name: "x") }', 'text/plain')).status).toBe(400);
      expect(seen).toEqual([{ query: 'query early { hello(name: "x") }' }, { query: '{ hello(name: "apollo") }' }]);
      // A client that accepts only graphql-response+json is left to Apollo, which answers in that type.
      const strict = await fetch(early.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' }, body: JSON.stringify({ query: 'query early { hello(name: "strict") }' }) });
      expect(strict.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
      expect(await strict.json()).toEqual({ data: { hello: 'hello strict' } });
      const headed = await send('query headed { hello(name: "x") }');
      expect(headed.headers.get('x-answered')).toBe('early');
      expect(await headed.json()).toEqual({ data: { hello: 'with a header' } });
    } finally {
      await early.close();
    }
  });
});

