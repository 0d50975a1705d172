import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateVmDocument, VmEventsDocument, waitForOperation } from '@novacron/sdk';
import { waitFor } from '@novacron/testing';
import { collect, createVmInput, internalTokenFor, postGraphQL, postToSubgraph, startPlatform, streamHead, subscriptionsClient, type Platform } from '../src/index.ts';

// The gateway's response cache, as clients see it. Entries live ten minutes here, so anything fresh
// a test reads after a change came from an invalidation (an event or a mutation), never from expiry.
// Changes that must reach the cache only by event are made on the vms subgraph directly, as another
// gateway replica would, so this gateway sees no mutation of them.

let platform: Platform;

beforeAll(async () => {
  // Placement states too are kept ten minutes: a placementOptions answer's reuse bound is what is left of one.
  platform = await startPlatform({ simLatencyMs: '20-60', gatewayEnv: { RESPONSE_CACHE: '1', RESPONSE_CACHE_MAX_AGE_MS: '600000' }, subgraphEnv: { PLACEMENT_STATE_MAX_AGE_MS: '600000' } });
});
afterAll(async () => {
  await platform?.stop();
});

const vmQuery = 'query CachedVM($id: ID!) { vm(id: $id) { id name status } }';
const listQuery = 'query CachedVMs { vms(first: 100) { edges { node { id name status } } } }';

async function ask(query: string, variables: Record<string, unknown>, token = platform.token) {
  const response = await postGraphQL(platform.gateway.url, { query, variables }, { token });
  expect(response.body?.errors).toBeUndefined();
  return { cache: response.headers.get('x-novacron-cache'), data: response.body?.data as Record<string, unknown> };
}

/**
 * Asks until the answer comes from the cache. Invalidation is per tenant: every event of the tenant
 * that the gateway reads after storing an answer drops it, since the answer may predate the event. A
 * VM's last event (RUNNING, committed before its operation reads SUCCEEDED) or any other event of the
 * tenant can reach the gateway just after the first answer was stored; then only a later answer is
 * kept. On a loaded machine that window is real (a full CI run on 2 cores met it once).
 */
async function askUntilCached(query: string, variables: Record<string, unknown>, token = platform.token) {
  return waitFor(
    async () => {
      const answer = await ask(query, variables, token);
      return answer.cache === 'hit' ? answer : false;
    },
    { description: 'an answer from the cache', intervalMs: 100, timeoutMs: 30_000 },
  );
}

async function runningVm(): Promise<string> {
  const { createVM } = await platform.client.request(CreateVmDocument, { input: createVmInput() });
  const operation = await waitForOperation(platform.client, createVM.id);
  expect(operation.status).toBe('SUCCEEDED');
  return createVM.vm?.id ?? '';
}

/** Changes a VM through the vms subgraph itself, bypassing this gateway (as another replica would). */
async function mutateBehindTheGateway(mutation: 'stopVM' | 'deleteVM', vmId: string): Promise<void> {
  const token = await internalTokenFor(platform.keys, { tenant: 'default', role: 'admin' });
  const response = await postToSubgraph(platform.vms.url, { query: `mutation ($id: ID!) { ${mutation}(id: $id) { id } }`, variables: { id: vmId } }, token);
  expect(response.body?.errors).toBeUndefined();
}

/** Follows a VM's events through this gateway; the cache follows the same stream tail, first. */
async function followVm(vmId: string) {
  const client = subscriptionsClient(platform.gateway.url, { token: platform.token });
  const events = collect(client, VmEventsDocument, { filter: { ids: [vmId] }, after: await streamHead(platform, 'vm') });
  return {
    until: (status: string) => events.waitFor((results) => results.some((result) => result.data?.vmEvents.vm?.status === status), 60_000),
    close: async () => {
      events.stop();
      await client.dispose();
    },
  };
}

describe('the response cache', () => {
  it('serves a repeated query from the cache and never after the event that changed it', async () => {
    const vmId = await runningVm();
    const events = await followVm(vmId);
    try {
      expect((await ask(vmQuery, { id: vmId })).cache).toBe('miss');
      const cached = await askUntilCached(vmQuery, { id: vmId });
      expect(cached.data.vm).toMatchObject({ id: vmId, status: 'RUNNING' });

      await mutateBehindTheGateway('stopVM', vmId);
      await events.until('STOPPED');
      const after = await ask(vmQuery, { id: vmId });
      expect(after.data.vm).toMatchObject({ id: vmId, status: 'STOPPED' });
      expect(after.cache).toBe('miss');
    } finally {
      await events.close();
    }
  });

  it('never outlives a deletion', async () => {
    const vmId = await runningVm();
    const events = await followVm(vmId);
    try {
      await askUntilCached(vmQuery, { id: vmId });
      await askUntilCached(listQuery, {});

      await mutateBehindTheGateway('deleteVM', vmId);
      await events.until('DELETED');
      const vm = (await ask(vmQuery, { id: vmId })).data.vm as { status: string } | null;
      expect(vm === null || vm.status === 'DELETED').toBe(true);
      const list = (await ask(listQuery, {})).data.vms as { edges: { node: { id: string; status: string } }[] };
      const listed = list.edges.find((edge) => edge.node.id === vmId);
      expect(listed === undefined || listed.node.status === 'DELETED').toBe(true);
    } finally {
      await events.close();
    }
  });

  it('lets the mutating client read its own write at once', async () => {
    await askUntilCached(listQuery, {});
    const { createVM } = await platform.client.request(CreateVmDocument, { input: createVmInput() });
    const after = await ask(listQuery, {});
    expect(after.cache).toBe('miss');
    const ids = (after.data.vms as { edges: { node: { id: string } }[] }).edges.map((edge) => edge.node.id);
    expect(ids).toContain(createVM.vm?.id);
    await waitForOperation(platform.client, createVM.id);
  });

  it('keeps tenants and roles apart', async () => {
    const alpha = await platform.tokenFor({ tenant: 'alpha', role: 'admin' });
    const alphaViewer = await platform.tokenFor({ tenant: 'alpha', role: 'viewer' });
    const bravo = await platform.tokenFor({ tenant: 'bravo', role: 'admin' });
    const alphaClient = await platform.clientFor({ tenant: 'alpha', role: 'admin' });
    const { createVM } = await alphaClient.request(CreateVmDocument, { input: createVmInput() });
    await waitForOperation(alphaClient, createVM.id);

    const alphaCached = await askUntilCached(listQuery, {}, alpha);
    const alphaIds = (alphaCached.data.vms as { edges: { node: { id: string } }[] }).edges.map((edge) => edge.node.id);
    expect(alphaIds).toContain(createVM.vm?.id);

    const bravoAnswer = await ask(listQuery, {}, bravo);
    expect(bravoAnswer.cache).toBe('miss');
    const bravoIds = (bravoAnswer.data.vms as { edges: { node: { id: string } }[] }).edges.map((edge) => edge.node.id);
    expect(bravoIds).not.toContain(createVM.vm?.id);
    expect((await ask(listQuery, {}, alphaViewer)).cache).toBe('miss');
  });

  it('serves placementOptions within placement’s bound until a write of the tenant, and never VM.alternatives', async () => {
    const admin = await platform.tokenFor({ tenant: 'gamma', role: 'admin' });
    const optionsQuery = 'query CachedOptions($requirements: PlacementRequirements!) { placementOptions(requirements: $requirements, first: 1) { candidates { provider region instanceType } } }';
    const requirements = { requirements: { vcpus: 2, memoryGib: 4, providers: ['aws'], regions: ['us-east-1'] } };
    const first = await ask(optionsQuery, requirements, admin);
    expect(first.cache).toBe('miss');
    const cached = await ask(optionsQuery, requirements, admin);
    expect(cached).toEqual({ ...first, cache: 'hit' });
    const cheapest = (first.data.placementOptions as { candidates: { instanceType: string }[] }).candidates[0]?.instanceType ?? '';
    expect(cheapest).toMatch(/^t3/);
    // A policy write is a mutation of the tenant: the next answer is executed, and honours it.
    const policy = await postGraphQL(platform.gateway.url, { query: 'mutation ($input: PlacementPolicyInput!) { setPlacementPolicy(input: $input) { deniedInstanceFamilies } }', variables: { input: { deniedInstanceFamilies: ['t3'] } } }, { token: admin });
    expect(policy.body?.errors).toBeUndefined();
    const after = await ask(optionsQuery, requirements, admin);
    expect(after.cache).toBe('miss');
    expect((after.data.placementOptions as { candidates: { instanceType: string }[] }).candidates[0]?.instanceType).not.toMatch(/^t3/);

    // VM.alternatives reads placement state outside a lease: placement says not to reuse it.
    const vmId = await runningVm();
    const alternativesQuery = 'query CachedAlternatives($id: ID!) { vm(id: $id) { id alternatives(first: 1) { monthlyDifference } } }';
    expect((await ask(alternativesQuery, { id: vmId })).cache).toBe('miss');
    expect((await ask(alternativesQuery, { id: vmId })).cache).toBe('miss');
  });
});
