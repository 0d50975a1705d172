import { GraphQLError, parse, type ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createPayloadGroups } from '../src/subscriptions/createPayloadGroups.ts';
import type { SubscriberScope } from '../src/subscriptions/readStreamDeclarations.ts';
import { cursorVariable } from '../src/subscriptions/rewriteToPayloadQuery.ts';

const document = parse('query ($ids: [ID!], $cursor: String!) { itemAt(cursor: $cursor, ids: $ids) { id } }');
const scope: SubscriberScope = {
  tenantId: 'alpha',
  scopeKey: 'alpha|viewer',
  identity: { subject: 'viewer@alpha', tenantId: 'alpha', roles: ['viewer'], expiresAt: new Date(Date.now() + 3_600_000) },
};

function setUp() {
  const executed: string[] = [];
  const groups = createPayloadGroups(async (_document, variables): Promise<ExecutionResult> => {
    executed.push(String(variables[cursorVariable]));
    return { data: { itemAt: { id: String((variables.ids as string[])[0]) } } };
  });
  return { groups, executed };
}

describe('payload groups', () => {
  it('executes an event once for all members of a group', async () => {
    const { groups, executed } = setUp();
    const first = groups.join(document, { ids: ['vm-1'] }, scope);
    const second = groups.join(document, { ids: ['vm-1'] }, scope);
    expect(second).toBe(first);
    const [a, b] = await Promise.all([first.resolve('c1'), second.resolve('c1')]);
    expect(a).toEqual({ data: { itemAt: { id: 'vm-1' } } });
    expect(b).toBe(a);
    expect(executed).toEqual(['c1']);
  });

  it('keeps a bounded number of results over all groups, however many groups there are', async () => {
    // One group per VM filter, each following its VM for a while: results were kept 256 per group.
    const { groups } = setUp();
    for (let vm = 0; vm < 300; vm += 1) {
      const group = groups.join(document, { ids: [`vm-${vm}`] }, scope);
      for (let event = 0; event < 20; event += 1) await group.resolve(`c-${vm}-${event}`);
    }
    expect(groups.stats()).toMatchObject({ groups: 300, payloadExecutions: 6_000 });
    expect(groups.stats().cachedResults).toBe(4_096);
  });

  it('forgets a group with its last member, and its results stay bounded', async () => {
    const { groups, executed } = setUp();
    for (let round = 0; round < 50; round += 1) {
      const group = groups.join(document, { ids: [`vm-${round}`] }, scope);
      for (let event = 0; event < 100; event += 1) await group.resolve(`c-${round}-${event}`);
      groups.leave(group, scope);
    }
    expect(groups.stats()).toMatchObject({ groups: 0, payloadExecutions: 5_000, cachedResults: 4_096 });
    expect(executed).toHaveLength(5_000);
  });

  it('shares one probe among identical subscriptions checked together, and never remembers a refusal', async () => {
    const probed: Record<string, unknown>[] = [];
    let answer: (result: ExecutionResult) => void = () => {};
    const groups = createPayloadGroups((_document, variables) => {
      probed.push(variables);
      return new Promise<ExecutionResult>((resolve) => (answer = resolve));
    });
    const together = [groups.probe(document, { ids: ['vm-1'] }, scope), groups.probe(document, { ids: ['vm-1'] }, scope)];
    expect(probed).toEqual([{ ids: ['vm-1'], [cursorVariable]: '' }]);
    const refusal = { errors: [new GraphQLError('the filter names no VM', { extensions: { code: 'BAD_USER_INPUT' } })] };
    answer(refusal);
    const [first, second] = await Promise.all(together);
    expect(first).toBe(refusal);
    expect(second).toBe(refusal);
    // A refusal (or an UNAVAILABLE subgraph) is asked again by the next subscriber.
    const later = groups.probe(document, { ids: ['vm-1'] }, scope);
    expect(probed).toHaveLength(2);
    answer({ data: { itemAt: null } });
    expect(await later).toEqual({ data: { itemAt: null } });
    expect(groups.stats()).toMatchObject({ probes: 2, probesJoined: 1, probesRemembered: 0 });
  });

  it('remembers a passed probe for identical subscriptions of the same tenant and roles', async () => {
    const probed: string[] = [];
    const groups = createPayloadGroups(async (_document, variables, subscriber): Promise<ExecutionResult> => {
      probed.push(`${subscriber.scopeKey} ${JSON.stringify(variables.ids)}`);
      return { data: { itemAt: null } };
    });
    await groups.probe(document, { ids: ['vm-1'] }, scope);
    // The payload field answers an empty cursor from the roles and the arguments alone: the same answer.
    expect(await groups.probe(document, { ids: ['vm-1'] }, scope)).toEqual({ data: { itemAt: null } });
    await groups.probe(document, { ids: ['vm-2'] }, scope);
    await groups.probe(document, { ids: ['vm-1'] }, { ...scope, scopeKey: 'alpha|operator', identity: { ...scope.identity, roles: ['operator'] } });
    expect(probed).toEqual(['alpha|viewer ["vm-1"]', 'alpha|viewer ["vm-2"]', 'alpha|operator ["vm-1"]']);
    expect(groups.stats()).toMatchObject({ probes: 3, probesRemembered: 1 });
  });

  it('never shares a probe across filters or authorization scopes', async () => {
    const probed: string[] = [];
    const groups = createPayloadGroups(async (_document, variables, subscriber): Promise<ExecutionResult> => {
      probed.push(`${subscriber.scopeKey} ${JSON.stringify(variables.ids)}`);
      return { data: { itemAt: null } };
    });
    const operator: SubscriberScope = { ...scope, scopeKey: 'alpha|operator', identity: { ...scope.identity, roles: ['operator'] } };
    const otherTenant: SubscriberScope = { tenantId: 'bravo', scopeKey: 'bravo|viewer', identity: { ...scope.identity, tenantId: 'bravo' } };
    await Promise.all([
      groups.probe(document, { ids: ['vm-1'] }, scope),
      groups.probe(document, { ids: ['vm-2'] }, scope),
      groups.probe(document, { ids: ['vm-1'] }, operator),
      groups.probe(document, { ids: ['vm-1'] }, otherTenant),
    ]);
    expect(probed.sort()).toEqual(['alpha|operator ["vm-1"]', 'alpha|viewer ["vm-1"]', 'alpha|viewer ["vm-2"]', 'bravo|viewer ["vm-1"]']);
  });

  it('fails every subscription sharing a probe that failed, and asks again afterwards', async () => {
    const groups = createPayloadGroups(async (): Promise<ExecutionResult> => {
      throw new Error('subgraph down');
    });
    const results = await Promise.allSettled([groups.probe(document, { ids: ['vm-1'] }, scope), groups.probe(document, { ids: ['vm-1'] }, scope)]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    await expect(groups.probe(document, { ids: ['vm-1'] }, scope)).rejects.toThrow('subgraph down');
    expect(groups.stats()).toMatchObject({ probes: 2, probesJoined: 1, probesRemembered: 0 });
  });
});
