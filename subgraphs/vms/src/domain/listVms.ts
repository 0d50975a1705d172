import { and, asc, count, eq, inArray, ne, sql, type SQL } from 'drizzle-orm';
import { badInput } from '@novacron/errors';
import type { Database } from '../db/createDatabase.ts';
import type { VmRow } from '../db/rows.ts';
import { vms, type VmStatus } from '../db/schema.ts';
import { afterPosition, toConnection, type Connection, type PageRequest } from '@novacron/subgraph-kit';

/** Which VMs to list (GraphQL `VMFilter`); absent or null fields do not filter. */
export interface VmFilter {
  status?: readonly VmStatus[] | null;
  /** Include DELETED VMs (left out by default unless `status` names DELETED). */
  includeDeleted?: boolean | null;
  provider?: string | null;
  region?: string | null;
  /** Case-insensitive substring of the name. */
  nameContains?: string | null;
  /** Every selector must match; without a value, any VM carrying the key matches. */
  labels?: readonly { key: string; value?: string | null }[] | null;
}

/** Lists a tenant's VMs matching a filter, one page at a time, ordered by creation. */
export async function listVms(db: Database, tenantId: string, filter: VmFilter | null | undefined, page: PageRequest): Promise<Connection<VmRow>> {
  const conditions = vmConditions(tenantId, filter ?? {});
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(vms)
      .where(and(...conditions, afterPosition(vms, page.after)))
      .orderBy(asc(vms.createdAt), asc(vms.id))
      .limit(page.limit + 1),
    db.select({ value: count() }).from(vms).where(and(...conditions)),
  ]);
  return toConnection(rows, page.limit, total?.value ?? 0);
}

function vmConditions(tenantId: string, filter: VmFilter): SQL[] {
  const conditions: SQL[] = [eq(vms.tenantId, tenantId)];
  if (filter.status && filter.status.length > 0) conditions.push(inArray(vms.status, filter.status));
  else if (!filter.includeDeleted) conditions.push(ne(vms.status, 'DELETED'));
  if (filter.provider) conditions.push(eq(vms.provider, filter.provider));
  if (filter.region) conditions.push(eq(vms.region, filter.region));
  if (filter.nameContains) {
    if (filter.nameContains.length > 63) throw badInput('filter.nameContains', 'nameContains must be at most 63 characters');
    const pattern = `%${filter.nameContains.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
    conditions.push(sql`${vms.name} ilike ${pattern}`);
  }
  for (const [index, selector] of (filter.labels ?? []).entries()) {
    if (selector.key.length === 0 || selector.key.length > 63) throw badInput(`filter.labels.${index}.key`, 'label keys are 1 to 63 characters');
    conditions.push(
      selector.value === null || selector.value === undefined
        ? sql`${vms.labels} ? ${selector.key}`
        : sql`${vms.labels} @> ${JSON.stringify({ [selector.key]: selector.value })}::jsonb`,
    );
  }
  return conditions;
}
