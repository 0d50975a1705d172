import type { Identity } from '@novacron/auth';
import type { SubgraphClient } from '@novacron/subgraph-kit';
import { LRUCache } from 'lru-cache';

/**
 * Which of createVM's synchronous checks apply to a tenant, cached for a few seconds: placement's
 * quota reservation only matters where the tenant has a vCPU quota, billing's budget hold only when
 * it has a BLOCK_CREATE budget. Both calls were about half of accepting a createVM (two more
 * GraphQL requests, two more databases; docs/benchmarks.md), for tenants that mostly have neither.
 */
export interface CreateGuardScope {
  /** True unless the tenant is known (within the cache's age) to have no quota in `provider`/`region`. */
  needsQuotaReservation(tenantId: string, caller: Identity, provider: string, region: string): Promise<boolean>;
  /** True unless the tenant is known (within the cache's age) to have no BLOCK_CREATE budget. */
  needsBudgetCheck(tenantId: string, caller: Identity): Promise<boolean>;
}

interface TenantGuards {
  /** `provider/region` pairs with a quota. */
  quotas: ReadonlySet<string>;
  blockingBudgets: boolean;
}

const quotasQuery = 'query CreateGuardQuotas { quotas { provider region vcpus } }';
const budgetsQuery = 'query CreateGuardBudgets { budgets { action } }';

/**
 * The staleness is bounded by `maxAgeMs`: a quota or BLOCK_CREATE budget set that long before a
 * create applies to it; one set less than that before may not (documented in docs/placement.md
 * terms: a quota applies to creates accepted after it, give or take `maxAgeMs`). When either
 * subgraph cannot be asked, the checks run as before (fail closed stays fail closed).
 */
export function createCreateGuardScope(options: { subgraphs: SubgraphClient; maxAgeMs: number; placement: boolean; billing: boolean; maxTenants?: number }): CreateGuardScope {
  const cache = new LRUCache<string, TenantGuards>({
    max: options.maxTenants ?? 10_000,
    ttl: options.maxAgeMs,
    fetchMethod: async (_tenantId, _stale, { context }) => {
      const caller = context as Identity;
      const [quotas, budgets] = await Promise.all([
        options.placement
          ? options.subgraphs.request<{ quotas: { provider: string; region: string; vcpus: number | null }[] }>('placement', quotasQuery, {}, caller)
          : { quotas: [] },
        options.billing ? options.subgraphs.request<{ budgets: { action: string }[] }>('billing', budgetsQuery, {}, caller) : { budgets: [] },
      ]);
      return {
        quotas: new Set(quotas.quotas.filter((quota) => quota.vcpus !== null).map((quota) => `${quota.provider}/${quota.region}`)),
        blockingBudgets: budgets.budgets.some((budget) => budget.action === 'BLOCK_CREATE'),
      };
    },
  });
  const guardsOf = async (tenantId: string, caller: Identity): Promise<TenantGuards | undefined> => {
    try {
      return await cache.fetch(tenantId, { context: caller });
    } catch {
      return undefined;
    }
  };
  return {
    async needsQuotaReservation(tenantId, caller, provider, region) {
      const guards = await guardsOf(tenantId, caller);
      return guards === undefined || guards.quotas.has(`${provider}/${region}`);
    },
    async needsBudgetCheck(tenantId, caller) {
      const guards = await guardsOf(tenantId, caller);
      return guards === undefined || guards.blockingBudgets;
    },
  };
}
