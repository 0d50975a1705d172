import { describe, expect, it } from 'vitest';
import { internalTokenHeader } from '@novacron/auth';
import type { SubgraphRequestInit } from '../src/createSubgraphFetch.ts';
import { createSubgraphFetchDedup } from '../src/createSubgraphFetchDedup.ts';

const url = 'http://billing.invalid/graphql';
const query = JSON.stringify({ query: 'query Dashboard__billing__1($representations:[_Any!]!){_entities(representations:$representations){...on VM{cost{hourlyRate}}}}', variables: { representations: [{ __typename: 'VM', id: '1' }] } });
const mutation = JSON.stringify({ query: 'mutation{createBudget(input:{}){id}}', variables: {} });

/** A subgraph whose answers the test releases, counting the fetches that reach it. */
function heldSubgraph() {
  const pending: (() => void)[] = [];
  let calls = 0;
  const fetcher: typeof fetch = async () => {
    calls += 1;
    const answer = `{"data":{"n":${calls}}}`;
    await new Promise<void>((release) => pending.push(release));
    return new Response(answer, { status: 200, headers: { 'content-type': 'application/json' } });
  };
  const released = new Set<number>();
  const releaseAll = () => {
    for (const [index, release] of pending.entries()) if (!released.has(index)) release();
  };
  /** Releases the answer of the n-th fetch (0-based) only. */
  const releaseOne = (index: number) => {
    released.add(index);
    pending[index]?.();
  };
  return { fetcher, releaseAll, releaseOne, calls: () => calls };
}

/** An internal token's shape (the signature is not checked by the dedup: the gateway signed it). */
const token = (claims: Record<string, unknown>) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

const as = (token: string, body: string): SubgraphRequestInit => ({ method: 'POST', headers: { [internalTokenHeader]: token, 'content-type': 'application/json' }, body });

describe('createSubgraphFetchDedup', () => {
  it('sends one fetch for concurrent identical queries of the same caller and gives each its own copy', async () => {
    const subgraph = heldSubgraph();
    const dedup = createSubgraphFetchDedup();
    const fetcher = dedup.wrap(subgraph.fetcher);
    const answers = [fetcher(url, as('alice', query)), fetcher(url, as('alice', query)), fetcher(url, as('alice', query))];
    await Promise.resolve();
    subgraph.releaseAll();
    const bodies = await Promise.all((await Promise.all(answers)).map((response) => response.text()));
    expect(bodies).toEqual(['{"data":{"n":1}}', '{"data":{"n":1}}', '{"data":{"n":1}}']);
    expect(subgraph.calls()).toBe(1);
    expect(dedup.stats()).toEqual({ sent: 1, joined: 2 });
  });

  it('never shares a fetch between callers, nor a mutation', async () => {
    const subgraph = heldSubgraph();
    const fetcher = createSubgraphFetchDedup().wrap(subgraph.fetcher);
    const answers = [fetcher(url, as('alice', query)), fetcher(url, as('bob', query)), fetcher(url, as('alice', mutation)), fetcher(url, as('alice', mutation))];
    await Promise.resolve();
    subgraph.releaseAll();
    await Promise.all(answers);
    expect(subgraph.calls()).toBe(4);
  });

  it('shares between callers of the same tenant and roles only: never across tenants, roles or with a system caller', async () => {
    const subgraph = heldSubgraph();
    const dedup = createSubgraphFetchDedup();
    const fetcher = dedup.wrap(subgraph.fetcher);
    const alice = token({ sub: 'alice', tenant: 'acme', roles: ['viewer', 'operator'] });
    const bob = token({ sub: 'bob', tenant: 'acme', roles: ['operator', 'viewer'] });
    const carol = token({ sub: 'carol', tenant: 'acme', roles: ['admin'] });
    const dave = token({ sub: 'dave', tenant: 'globex', roles: ['viewer', 'operator'] });
    const system = token({ sub: 'vms/worker', system: true });
    const answers = [alice, bob, carol, dave, system].map((caller) => fetcher(url, as(caller, query)));
    await Promise.resolve();
    subgraph.releaseAll();
    const bodies = await Promise.all((await Promise.all(answers)).map((response) => response.text()));
    // alice and bob (acme, same roles) share the first fetch; carol, dave and the system caller each send their own.
    expect(bodies).toEqual(['{"data":{"n":1}}', '{"data":{"n":1}}', '{"data":{"n":2}}', '{"data":{"n":3}}', '{"data":{"n":4}}']);
    expect(dedup.stats()).toEqual({ sent: 4, joined: 1 });
  });

  it('does not let a query join a fetch that started before a mutation of its tenant and roles finished', async () => {
    const subgraph = heldSubgraph();
    const fetcher = createSubgraphFetchDedup().wrap(subgraph.fetcher);
    const alice = token({ sub: 'alice', tenant: 'acme', roles: ['operator'] });
    const bob = token({ sub: 'bob', tenant: 'acme', roles: ['operator'] });
    const before = fetcher(url, as(alice, query));
    await Promise.resolve();
    const write = fetcher(url, as(bob, mutation));
    await Promise.resolve();
    subgraph.releaseOne(1);
    await write;
    // bob wrote after alice's read started: bob's read must not join it.
    const after = fetcher(url, as(bob, query));
    await Promise.resolve();
    subgraph.releaseAll();
    expect(await (await before).text()).toBe('{"data":{"n":1}}');
    expect(await (await after).text()).toBe('{"data":{"n":3}}');
  });

  it('does not let a query join a fetch that started before the same caller’s mutation finished', async () => {
    const subgraph = heldSubgraph();
    const fetcher = createSubgraphFetchDedup().wrap(subgraph.fetcher);
    const before = fetcher(url, as('alice', query));
    const write = fetcher(url, as('alice', mutation));
    await new Promise((resolve) => setTimeout(resolve, 0));
    // The mutation finishes while the earlier query is still in flight: a query sent now must not be
    // handed that older answer.
    subgraph.releaseOne(1);
    await write;
    const after = fetcher(url, as('alice', query));
    await new Promise((resolve) => setTimeout(resolve, 0));
    subgraph.releaseAll();
    await before;
    expect(await (await after).text()).toBe('{"data":{"n":3}}');
    expect(subgraph.calls()).toBe(3);
  });
});
