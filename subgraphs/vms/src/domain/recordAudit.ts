import type { Database } from '../db/createDatabase.ts';
import { auditLog } from '../db/schema.ts';
import { inputDigest } from './inputDigest.ts';

/** One audit record. */
export interface AuditRecord {
  tenantId: string;
  actor: string;
  action: string;
  args: unknown;
  outcome: 'SUCCEEDED' | 'FAILED';
  errorCode?: string | null;
  targetId?: string | null;
  operationId?: string | null;
}

/** Writes an audit record; the arguments are stored only as a digest. */
export async function recordAudit(db: Database, record: AuditRecord): Promise<void> {
  await db.insert(auditLog).values({
    tenantId: record.tenantId,
    actor: record.actor,
    action: record.action,
    targetId: record.targetId ?? null,
    operationId: record.operationId ?? null,
    outcome: record.outcome,
    errorCode: record.errorCode ?? null,
    inputDigest: inputDigest(record.action, record.args),
  });
}
