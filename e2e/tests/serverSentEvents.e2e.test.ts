import { print } from 'graphql';
import { createClient } from 'graphql-sse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateVmDocument, VmEventsDocument, waitForOperation, type VmEventsSubscription } from '@novacron/sdk';
import { waitFor } from '@novacron/testing';
import { createVmInput, startPlatform, streamHead, type Platform } from '../src/index.ts';

// Subscriptions as GraphQL over Server-Sent Events, for clients behind proxies that block WebSockets:
// the same engine, checks and budgets as graphql-ws, on the same URL.

let platform: Platform;
beforeAll(async () => {
  platform = await startPlatform({ simLatencyMs: '10-20' });
});
afterAll(async () => {
  await platform?.stop();
});

const postEventStream = (body: unknown, token?: string) =>
  fetch(platform.gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });

describe('GraphQL over Server-Sent Events', () => {
  it("delivers a VM's events as an event stream and releases the subscription when the client leaves", async () => {
    const batch = `sse-${Date.now().toString(36)}`;
    const head = await streamHead(platform, 'vm');
    const client = createClient({ url: platform.gateway.url, headers: { authorization: `Bearer ${platform.token}` }, retryAttempts: 0 });
    const results: { data?: VmEventsSubscription | null; errors?: unknown }[] = [];
    let failure: unknown = null;
    const unsubscribe = client.subscribe<VmEventsSubscription>(
      { query: print(VmEventsDocument), variables: { filter: { labels: [{ key: 'batch', value: batch }] }, after: head } },
      { next: (result) => void results.push(result as never), error: (error) => (failure = error), complete: () => {} },
    );
    const { createVM } = await platform.client.request(CreateVmDocument, { input: createVmInput({ labels: { batch } }) });
    await waitForOperation(platform.client, createVM.id, { intervalMs: 20 });
    await waitFor(() => results.some((result) => result.data?.vmEvents.vm.id === createVM.vm?.id && result.data?.vmEvents.vm.status === 'RUNNING'), { description: 'RUNNING over SSE' });
    expect(failure).toBeNull();
    expect(results.every((result) => result.errors === undefined)).toBe(true);
    const versions = results.map((result) => result.data?.vmEvents.version ?? 0);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    unsubscribe();
    client.dispose();
    await waitFor(() => platform.gateway.stats().subscribers === 0, { description: 'the subscription to be released' });
  });

  it('refuses an event stream without a valid token with 401 UNAUTHENTICATED', async () => {
    const response = await postEventStream({ query: 'subscription { vmEvents { cursor } }' }, 'not-a-token');
    expect(response.status).toBe(401);
    expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe('UNAUTHENTICATED');
  });

  it('serves only subscriptions as event streams, and refuses invalid ones with their code', async () => {
    const query = await postEventStream({ query: '{ providers { name } }' }, platform.token);
    expect(query.status).toBe(400);
    expect(((await query.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe('BAD_REQUEST');
    const invalid = await postEventStream({ query: 'subscription { noSuchField }' }, platform.token);
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});
