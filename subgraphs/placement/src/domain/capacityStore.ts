import { and, eq, sql } from 'drizzle-orm';
import type { Catalog } from '@novacron/catalog';
import { badInput } from '@novacron/errors';
import type { Executor } from '../db/createDatabase.ts';
import { quotas } from '../db/schema.ts';
import { capacityKey } from './PlacementPolicy.ts';

/** VM statuses that no longer hold capacity. */
export const releasedStatuses = ['DELETED', 'ERROR'] as const;

/** A quota with what counts against it now. */
export interface QuotaUsage {
  provider: string;
  region: string;
  /** The limit, in vCPUs; null when there is none (after `setQuota` removed it). */
  vcpus: number | null;
  /** vCPUs of the tenant's VMs there (any status but DELETED and ERROR). */
  usedVcpus: number;
  /** vCPUs held by live reservations of creates not yet seen as VMs. */
  reservedVcpus: number;
}

/** `setQuota`'s input: a null `vcpus` removes the quota (unlimited). */
export interface QuotaInput {
  provider: string;
  region: string;
  vcpus: number | null;
}

/**
 * vCPUs in use plus live reservations per provider/region for one tenant (optionally one place),
 * from the vm_usage projection and the reservations table, in one statement.
 */
export async function capacityInUse(db: Executor, tenantId: string, place?: { provider: string; region: string }): Promise<Map<string, { used: number; reserved: number }>> {
  const where = place ? sql`and provider = ${place.provider} and region = ${place.region}` : sql``;
  const rows = await db.execute<{ provider: string; region: string; used: string; reserved: string }>(sql`
    select provider, region, sum(used)::text as used, sum(reserved)::text as reserved from (
      select provider, region, vcpus as used, 0 as reserved from placement.vm_usage
        where tenant_id = ${tenantId} and status not in ('DELETED', 'ERROR') ${where}
      union all
      select provider, region, 0, vcpus from placement.reservations
        where tenant_id = ${tenantId} and status = 'HELD' and expires_at > now() ${where}
    ) counted group by provider, region`);
  return new Map(rows.map((row) => [capacityKey(row.provider, row.region), { used: Number(row.used), reserved: Number(row.reserved) }]));
}

/** The tenant's quotas with their usage, ordered by provider and region. */
export async function listQuotas(db: Executor, tenantId: string): Promise<QuotaUsage[]> {
  const [rows, inUse] = await Promise.all([
    db.select().from(quotas).where(eq(quotas.tenantId, tenantId)).orderBy(quotas.provider, quotas.region),
    capacityInUse(db, tenantId),
  ]);
  return rows.map((row) => {
    const usage = inUse.get(capacityKey(row.provider, row.region));
    return { provider: row.provider, region: row.region, vcpus: row.vcpus, usedVcpus: usage?.used ?? 0, reservedVcpus: usage?.reserved ?? 0 };
  });
}

/**
 * Sets (or with `vcpus: null` removes) a tenant's vCPU quota in a provider's region. A quota below
 * current usage is allowed: it refuses new creates there, as cloud quotas do.
 */
export async function setQuota(db: Executor, catalog: Catalog, tenantId: string, input: QuotaInput): Promise<QuotaUsage> {
  if (!catalog.providers().includes(input.provider)) throw badInput('input.provider', `unknown provider "${input.provider}"`, { value: input.provider });
  if (!catalog.regionsOf(input.provider).includes(input.region)) {
    throw badInput('input.region', `${input.provider} has no region "${input.region}"`, { value: input.region });
  }
  if (input.vcpus !== null && (!Number.isInteger(input.vcpus) || input.vcpus < 0 || input.vcpus > 1_000_000)) {
    throw badInput('input.vcpus', 'input.vcpus must be a whole number from 0 to 1000000, or null to remove the quota');
  }
  const place = and(eq(quotas.tenantId, tenantId), eq(quotas.provider, input.provider), eq(quotas.region, input.region));
  if (input.vcpus === null) {
    await db.delete(quotas).where(place);
  } else {
    await db
      .insert(quotas)
      .values({ tenantId, provider: input.provider, region: input.region, vcpus: input.vcpus })
      .onConflictDoUpdate({ target: [quotas.tenantId, quotas.provider, quotas.region], set: { vcpus: input.vcpus, updatedAt: sql`now()` } });
  }
  const usage = (await capacityInUse(db, tenantId, input)).get(capacityKey(input.provider, input.region));
  return { provider: input.provider, region: input.region, vcpus: input.vcpus, usedVcpus: usage?.used ?? 0, reservedVcpus: usage?.reserved ?? 0 };
}
