import type { Sql } from '@novacron/db';
import type { AuditEntryView } from './adminDocuments.ts';

/** The audit records of one actor (a token's subject), oldest first. */
export async function auditEntriesBy(sql: Sql, actor: string): Promise<AuditEntryView[]> {
  return sql<AuditEntryView[]>`
    select tenant_id as "tenantId", actor, action, target_id as "targetId", operation_id as "operationId", outcome, error_code as "errorCode"
    from vms.audit_log where actor = ${actor} order by created_at, id`;
}

/** How many audit records exist at all. */
export async function auditCount(sql: Sql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from vms.audit_log`;
  return row?.n ?? 0;
}
