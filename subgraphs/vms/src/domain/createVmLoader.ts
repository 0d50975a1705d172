import DataLoader from 'dataloader';
import { and, eq, inArray } from 'drizzle-orm';
import type { Database } from '../db/createDatabase.ts';
import type { VmRow } from '../db/rows.ts';
import { vms } from '../db/schema.ts';
import { isId } from './parseId.ts';

/** A per-request loader of a tenant's VMs by id; ids of other tenants load as null. */
export function createVmLoader(db: Database, tenantId: string): DataLoader<string, VmRow | null> {
  return new DataLoader(async (ids: readonly string[]) => {
    const wanted = ids.filter(isId).map((id) => id.toLowerCase());
    const rows = wanted.length === 0 ? [] : await db.select().from(vms).where(and(eq(vms.tenantId, tenantId), inArray(vms.id, wanted)));
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id.toLowerCase()) ?? null);
  });
}
