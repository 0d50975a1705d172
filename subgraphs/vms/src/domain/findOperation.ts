import { and, eq } from 'drizzle-orm';
import type { Database } from '../db/createDatabase.ts';
import type { OperationRow } from '../db/rows.ts';
import { operations } from '../db/schema.ts';

/** A tenant's operation by id, or null. */
export async function findOperation(db: Database, tenantId: string, id: string): Promise<OperationRow | null> {
  const [row] = await db
    .select()
    .from(operations)
    .where(and(eq(operations.id, id), eq(operations.tenantId, tenantId)));
  return row ?? null;
}
