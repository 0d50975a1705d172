import { describe, expect, it } from 'vitest';
import type { Identity } from '@novacron/auth';
import type { SubgraphClient } from '@novacron/subgraph-kit';
import { createCreateGuardScope } from '../src/domain/createCreateGuardScope.ts';

const caller = { subject: 'op@acme', tenantId: 'acme', roles: ['operator'] } as unknown as Identity;

/** Answers placement's `quotas` and billing's `budgets` from fixed data, counting the requests. */
function answering(data: { quotas?: { provider: string; region: string; vcpus: number | null }[]; budgets?: { action: string }[]; failing?: boolean }) {
  const calls: string[] = [];
  const client = {
    async request(name: string) {
      calls.push(name);
      if (data.failing) throw new Error(`${name} is down`);
      return name === 'placement' ? { quotas: data.quotas ?? [] } : { budgets: data.budgets ?? [] };
    },
    feed() {
      throw new Error('not used');
    },
  } as unknown as SubgraphClient;
  return { client, calls };
}

describe('createVM guard scope', () => {
  it('skips both calls for a tenant with no quota and no blocking budget, asking once per cache age', async () => {
    const { client, calls } = answering({ quotas: [{ provider: 'aws', region: 'eu-west-1', vcpus: null }], budgets: [{ action: 'ALERT' }] });
    const scope = createCreateGuardScope({ subgraphs: client, maxAgeMs: 60_000, placement: true, billing: true });
    expect(await scope.needsQuotaReservation('acme', caller, 'aws', 'eu-west-1')).toBe(false);
    expect(await scope.needsBudgetCheck('acme', caller)).toBe(false);
    expect(await scope.needsQuotaReservation('acme', caller, 'aws', 'us-east-1')).toBe(false);
    expect(calls.sort()).toEqual(['billing', 'placement']);
  });

  it('keeps the quota call where the tenant has a quota, and the budget call with a BLOCK_CREATE budget', async () => {
    const { client } = answering({ quotas: [{ provider: 'aws', region: 'us-east-1', vcpus: 8 }], budgets: [{ action: 'ALERT' }, { action: 'BLOCK_CREATE' }] });
    const scope = createCreateGuardScope({ subgraphs: client, maxAgeMs: 60_000, placement: true, billing: true });
    expect(await scope.needsQuotaReservation('acme', caller, 'aws', 'us-east-1')).toBe(true);
    expect(await scope.needsQuotaReservation('acme', caller, 'aws', 'us-west-2')).toBe(false);
    expect(await scope.needsBudgetCheck('acme', caller)).toBe(true);
  });

  it('keeps both calls when placement or billing cannot be asked', async () => {
    const { client } = answering({ failing: true });
    const scope = createCreateGuardScope({ subgraphs: client, maxAgeMs: 60_000, placement: true, billing: true });
    expect(await scope.needsQuotaReservation('acme', caller, 'aws', 'us-east-1')).toBe(true);
    expect(await scope.needsBudgetCheck('acme', caller)).toBe(true);
  });

  it('asks again once the cache age has passed', async () => {
    const { client, calls } = answering({});
    const scope = createCreateGuardScope({ subgraphs: client, maxAgeMs: 1, placement: true, billing: false });
    await scope.needsQuotaReservation('acme', caller, 'aws', 'us-east-1');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await scope.needsQuotaReservation('acme', caller, 'aws', 'us-east-1');
    expect(calls).toEqual(['placement', 'placement']);
  });
});
