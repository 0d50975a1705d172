import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { wantsEventStream } from '../src/subscriptions/createServerSentEvents.ts';

const request = (accept: string, url = '/graphql') => ({ url, headers: { accept } }) as unknown as IncomingMessage;

describe('Server-Sent Events routing', () => {
  it('routes a client that wants only an event stream (graphql-sse) to SSE', () => {
    expect(wantsEventStream(request('text/event-stream'), '/graphql')).toBe(true);
  });

  it('keeps an ordinary query whose client also accepts JSON (urql lists text/event-stream too) on plain HTTP', () => {
    expect(wantsEventStream(request('application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed'), '/graphql')).toBe(false);
    expect(wantsEventStream(request('application/json'), '/graphql')).toBe(false);
    expect(wantsEventStream(request('text/event-stream', '/other'), '/graphql')).toBe(false);
  });
});
