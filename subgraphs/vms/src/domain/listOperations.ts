import { and, asc, count, eq, inArray, type SQL } from 'drizzle-orm';
import type { Database } from '../db/createDatabase.ts';
import type { OperationRow } from '../db/rows.ts';
import { operations, type OperationKind, type OperationStatus } from '../db/schema.ts';
import { afterPosition, toConnection, type Connection, type PageRequest } from '@novacron/subgraph-kit';
import { parseId } from './parseId.ts';

/** Which operations to list (GraphQL `OperationFilter`); absent or null fields do not filter. */
export interface OperationFilter {
  status?: readonly OperationStatus[] | null;
  kind?: readonly OperationKind[] | null;
  vmId?: string | null;
}

/** Lists a tenant's operations matching a filter, one page at a time, ordered by creation. */
export async function listOperations(db: Database, tenantId: string, filter: OperationFilter | null | undefined, page: PageRequest): Promise<Connection<OperationRow>> {
  const conditions: SQL[] = [eq(operations.tenantId, tenantId)];
  if (filter?.status && filter.status.length > 0) conditions.push(inArray(operations.status, filter.status));
  if (filter?.kind && filter.kind.length > 0) conditions.push(inArray(operations.kind, filter.kind));
  if (filter?.vmId) conditions.push(eq(operations.vmId, parseId('filter.vmId', filter.vmId)));
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(operations)
      .where(and(...conditions, afterPosition(operations, page.after)))
      .orderBy(asc(operations.createdAt), asc(operations.id))
      .limit(page.limit + 1),
    db.select({ value: count() }).from(operations).where(and(...conditions)),
  ]);
  return toConnection(rows, page.limit, total?.value ?? 0);
}
