import { and, asc, count, eq, gt, or, type SQL } from 'drizzle-orm';
import type { Database } from '../db/createDatabase.ts';
import { auditLog, type AuditOutcome } from '../db/schema.ts';
import { toConnection, type Connection, type PageRequest } from './connection.ts';

/** Which audit entries to list (GraphQL `AuditFilter`); absent or null fields do not filter. */
export interface AuditFilter {
  action?: string | null;
  actor?: string | null;
  outcome?: AuditOutcome | null;
}

/** A tenant's audit log, oldest first, one page at a time. */
export async function listAuditLog(db: Database, tenantId: string, filter: AuditFilter | null | undefined, page: PageRequest): Promise<Connection<typeof auditLog.$inferSelect>> {
  const conditions: SQL[] = [eq(auditLog.tenantId, tenantId)];
  if (filter?.action) conditions.push(eq(auditLog.action, filter.action));
  if (filter?.actor) conditions.push(eq(auditLog.actor, filter.actor));
  if (filter?.outcome) conditions.push(eq(auditLog.outcome, filter.outcome));
  const after = page.after
    ? or(gt(auditLog.createdAt, new Date(page.after.createdAt)), and(eq(auditLog.createdAt, new Date(page.after.createdAt)), gt(auditLog.id, page.after.id)))
    : undefined;
  const [rows, [total]] = await Promise.all([
    db.select().from(auditLog).where(and(...conditions, after)).orderBy(asc(auditLog.createdAt), asc(auditLog.id)).limit(page.limit + 1),
    db.select({ value: count() }).from(auditLog).where(and(...conditions)),
  ]);
  return toConnection(rows, page.limit, total?.value ?? 0);
}
