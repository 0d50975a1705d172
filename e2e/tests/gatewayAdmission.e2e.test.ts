import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateVmDocument } from '@novacron/sdk';
import { scrapeMetrics, waitFor } from '@novacron/testing';
import { createVmInput, postGraphQL, startPlatform, type Platform, type RawGraphQLResponse } from '../src/index.ts';

// The gateway's admission control against the real platform. Requests are made slow for real: the
// test holds an ACCESS EXCLUSIVE lock on vms.vms, so every request that reads or writes VMs waits in
// PostgreSQL, holding its gateway slot, until the test lets go.

const gatewayRetryAfter = '2';
const subgraphRetryAfter = '3';

let platform: Platform;

beforeAll(async () => {
  platform = await startPlatform({
    gatewayEnv: { GATEWAY_MAX_IN_FLIGHT: '2', GATEWAY_MAX_QUEUED: '1', GATEWAY_MAX_QUEUE_MS: '300', GATEWAY_RETRY_AFTER_SECONDS: gatewayRetryAfter },
    // One mutation at a time in the vms subgraph and no queue: a second one is refused there at once.
    subgraphEnv: { MUTATION_MAX_CONCURRENT: '1', MUTATION_MAX_QUEUED: '0', MUTATION_MAX_QUEUE_MS: '60000', MUTATION_RETRY_AFTER_SECONDS: subgraphRetryAfter },
  });
});
afterAll(async () => {
  await platform?.stop();
});

/** Holds an ACCESS EXCLUSIVE lock on vms.vms until `release` is called. */
async function lockVms(): Promise<{ release(): Promise<void> }> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  const transaction = platform.database.sql.begin(async (tx) => {
    await tx`lock table vms.vms in access exclusive mode`;
    locked();
    await released;
  });
  await Promise.race([isLocked, transaction]);
  return {
    release: async () => {
      release();
      await transaction;
    },
  };
}

/** The vms subgraph's connections waiting for a lock (the requests the test made slow; the workers are apart). */
async function lockWaiters(): Promise<number> {
  const [row] = await platform.database.sql<{ count: number }[]>`
    select count(*)::int as count from pg_stat_activity
    where datname = current_database() and application_name = 'novacron-vms' and wait_event_type = 'Lock'`;
  return row?.count ?? 0;
}

const admission = () => platform.gateway.stats().admission as { inFlight: number; queued: number; refused: Record<string, number> };
const vmsQuery = (first: number) => ({ query: `{ vms(first: ${first}) { edges { node { id } } } }` });
const send = (payload: unknown) => postGraphQL(platform.gateway.url, payload, { token: platform.token });

function expectOverloaded(response: RawGraphQLResponse, retryAfter: string, reason?: string) {
  expect(response.status).toBe(503);
  expect(response.headers.get('retry-after')).toBe(retryAfter);
  const error = response.body?.errors?.[0];
  expect(error?.extensions?.code).toBe('OVERLOADED');
  expect(error?.extensions?.retryAfterSeconds).toBe(Number(retryAfter));
  if (reason) expect(error?.extensions?.reason).toBe(reason);
}

describe('gateway admission control', () => {
  it('refuses the excess at once with 503, Retry-After and OVERLOADED, serves the admitted requests, and recovers', async () => {
    const lock = await lockVms();
    let first: Promise<RawGraphQLResponse> | undefined;
    let second: Promise<RawGraphQLResponse> | undefined;
    try {
      // Two different documents, so the gateway does not share one subgraph fetch between them.
      first = send(vmsQuery(10));
      second = send(vmsQuery(11));
      await waitFor(async () => admission().inFlight === 2 && (await lockWaiters()) >= 2, { description: 'two requests blocked in PostgreSQL' });
      const queued = send(vmsQuery(12));
      await waitFor(() => admission().queued === 1, { description: 'a third request queued at the gateway' });

      // Both slots and the one queue place are taken: the next request is refused without waiting.
      expectOverloaded(await send(vmsQuery(13)), gatewayRetryAfter, 'QUEUE_FULL');
      // The queued one gets no slot within GATEWAY_MAX_QUEUE_MS and is refused too.
      expectOverloaded(await queued, gatewayRetryAfter, 'QUEUE_TIMEOUT');

      // Health, readiness and metrics are never refused.
      const origin = new URL(platform.gateway.url).origin;
      expect((await fetch(`${origin}/health`)).status).toBe(200);
      // /ready answers from its own check (the subgraphs' /ready), not from the admission limit.
      const readiness = await fetch(`${origin}/ready`);
      expect(readiness.headers.get('retry-after')).toBeNull();
      expect(await readiness.json()).toHaveProperty('status');
      const scrape = await scrapeMetrics(platform.gateway.metricsUrl);
      expect(scrape.sum('novacron_overload_refusals_total', { reason: 'QUEUE_FULL' })).toBe(1);
      expect(scrape.sum('novacron_overload_refusals_total', { reason: 'QUEUE_TIMEOUT' })).toBe(1);
    } finally {
      await lock.release();
    }

    // The admitted requests were only delayed, never refused.
    for (const admitted of [await first, await second]) {
      expect(admitted?.status).toBe(200);
      expect(admitted?.body?.errors).toBeUndefined();
      expect(admitted?.body?.data?.vms).toBeDefined();
    }
    // The limiter recovered: its slots are free and the same burst is served in full.
    await waitFor(() => admission().inFlight === 0 && admission().queued === 0, { description: 'the slots to be released' });
    const burst = await Promise.all([send(vmsQuery(10)), send(vmsQuery(11)), send(vmsQuery(12))]);
    expect(burst.map((response) => response.status)).toEqual([200, 200, 200]);
    expect(admission().refused).toEqual({ QUEUE_FULL: 1, QUEUE_TIMEOUT: 1, LATENCY_LIMIT: 0 });
  });

  it("answers a subgraph's OVERLOADED refusal with 503 and the subgraph's Retry-After", async () => {
    const createVm = (name: string) => ({ query: print(CreateVmDocument), variables: { input: createVmInput({ name }) } });
    const lock = await lockVms();
    let admitted: Promise<RawGraphQLResponse> | undefined;
    try {
      // The first create holds the vms subgraph's only mutation slot, waiting in PostgreSQL.
      admitted = send(createVm(`admit-${Date.now()}`));
      await waitFor(async () => (await lockWaiters()) >= 1 && admission().inFlight === 1, { description: 'a create blocked in PostgreSQL' });
      const before = (await scrapeMetrics(platform.gateway.metricsUrl)).sum('novacron_overload_refusals_total', { reason: 'SUBGRAPH' });

      const refused = await send(createVm(`refused-${Date.now()}`));
      expectOverloaded(refused, subgraphRetryAfter);
      expect(refused.body?.data ?? null).toBeNull();
      expect((await scrapeMetrics(platform.gateway.metricsUrl)).sum('novacron_overload_refusals_total', { reason: 'SUBGRAPH' })).toBe(before + 1);
    } finally {
      await lock.release();
    }
    const accepted = await admitted;
    expect(accepted?.status).toBe(200);
    expect(accepted?.body?.errors).toBeUndefined();
    expect((accepted?.body?.data?.createVM as { id?: unknown } | undefined)?.id).toEqual(expect.any(String));
  });
});
