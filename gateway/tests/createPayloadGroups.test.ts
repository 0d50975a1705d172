import { parse, type ExecutionResult } from 'graphql';
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
});
