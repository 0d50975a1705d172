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

/** Argument names whose values are secrets: the audit log keeps only which fields were given. */
const secretArguments = new Set(['credentials']);

/**
 * The arguments as the audit log may see them: every secret value replaced by the sorted names of
 * its fields. An unsalted digest of a secret is no protection (a short or guessable secret is found
 * by hashing candidates), so none of it reaches the digest.
 */
export function auditableArgs(args: unknown): unknown {
  if (Array.isArray(args)) return args.map(auditableArgs);
  if (!args || typeof args !== 'object') return args;
  return Object.fromEntries(
    Object.entries(args).map(([name, value]) => {
      if (!secretArguments.has(name)) return [name, auditableArgs(value)];
      const fields = value && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value).sort() : [];
      return [name, { redactedFields: fields }];
    }),
  );
}

/** Writes an audit record; the arguments are stored only as a digest, with secret values left out. */
export async function recordAudit(db: Database, record: AuditRecord): Promise<void> {
  await db.insert(auditLog).values({
    tenantId: record.tenantId,
    actor: record.actor,
    action: record.action,
    targetId: record.targetId ?? null,
    operationId: record.operationId ?? null,
    outcome: record.outcome,
    errorCode: record.errorCode ?? null,
    inputDigest: inputDigest(record.action, auditableArgs(record.args)),
  });
}
