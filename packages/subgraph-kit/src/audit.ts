/**
 * The audit trail every subgraph keeps of its mutations: who, which tenant, what, when, how it ended,
 * and a digest of the input (never the input itself).
 */
import { and, asc, count, eq, type SQL } from 'drizzle-orm';
import type { Identity, InternalPrincipal, Role } from '@novacron/auth';
import { toAppError } from '@novacron/errors';
import { getTableConfig, index, text, timestamp, uuid, type PgSchema } from 'drizzle-orm/pg-core';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { authorize } from './authorize.ts';
import { afterPosition, toConnection, type Connection, type PageRequest } from './pagination.ts';

/** The drizzle table of a subgraph's audit log, for its db/schema.ts. */
export function auditLogTable(schema: PgSchema) {
  return schema.table(
    'audit_log',
    {
      id: uuid('id').primaryKey().defaultRandom(),
      tenantId: text('tenant_id').notNull(),
      actor: text('actor').notNull(),
      action: text('action').notNull(),
      targetId: text('target_id'),
      operationId: uuid('operation_id'),
      outcome: text('outcome', { enum: ['SUCCEEDED', 'FAILED'] }).notNull(),
      errorCode: text('error_code'),
      /** A digest of the mutation's arguments: proves what was asked without storing secrets. */
      inputDigest: text('input_digest').notNull(),
      createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    },
    (table) => [index('audit_log_tenant_created_idx').on(table.tenantId, table.createdAt, table.id)],
  );
}

/** A subgraph's audit table. */
export type AuditLogTable = ReturnType<typeof auditLogTable>;
/** One stored audit entry. */
export type AuditLogRow = AuditLogTable['$inferSelect'];

/** One audit record to write. */
export interface AuditRecord {
  tenantId: string;
  actor: string;
  action: string;
  inputDigest: string;
  outcome: 'SUCCEEDED' | 'FAILED';
  errorCode?: string | null;
  targetId?: string | null;
  operationId?: string | null;
}

// A drizzle database of any schema (the audit table is the caller's).
type AnyDatabase = PostgresJsDatabase<any>;
// What drizzle's postgres.js database also carries: its client (postgres.js `Sql`), for prepared statements.
type AuditDatabase = AnyDatabase & { $client: { unsafe(query: string, parameters: (string | null)[], options: { prepare: boolean }): PromiseLike<unknown> } };

// The insert of each table, built once: every audited mutation writes one row, and building it with
// drizzle's query builder per call was ~10 % of the vms subgraph's CPU per createVM (docs/benchmarks.md).
const auditInserts = new WeakMap<AuditLogTable, string>();

function auditInsertOf(table: AuditLogTable): string {
  let statement = auditInserts.get(table);
  if (!statement) {
    const { schema, name } = getTableConfig(table);
    const target = schema ? `"${schema}"."${name}"` : `"${name}"`;
    statement = `insert into ${target} (tenant_id, actor, action, target_id, operation_id, outcome, error_code, input_digest) values ($1, $2, $3, $4, $5, $6, $7, $8)`;
    auditInserts.set(table, statement);
  }
  return statement;
}

/** Writes an audit record (a prepared statement). */
export async function recordAudit(db: AuditDatabase, table: AuditLogTable, record: AuditRecord): Promise<void> {
  await db.$client.unsafe(
    auditInsertOf(table),
    [record.tenantId, record.actor, record.action, record.targetId ?? null, record.operationId ?? null, record.outcome, record.errorCode ?? null, record.inputDigest],
    { prepare: true },
  );
}

/** Which entries to list. */
export interface AuditFilter {
  action?: string | null;
  actor?: string | null;
  outcome?: 'SUCCEEDED' | 'FAILED' | null;
}

/** A tenant's audit log, oldest first, one page at a time. */
export async function listAuditLog(db: AnyDatabase, table: AuditLogTable, tenantId: string, filter: AuditFilter | null | undefined, page: PageRequest): Promise<Connection<AuditLogRow>> {
  const conditions: SQL[] = [eq(table.tenantId, tenantId)];
  if (filter?.action) conditions.push(eq(table.action, filter.action));
  if (filter?.actor) conditions.push(eq(table.actor, filter.actor));
  if (filter?.outcome) conditions.push(eq(table.outcome, filter.outcome));
  const [rows, [total]] = await Promise.all([
    db.select().from(table).where(and(...conditions, afterPosition(table, page.after))).orderBy(asc(table.createdAt), asc(table.id)).limit(page.limit + 1),
    db.select({ value: count() }).from(table).where(and(...conditions)),
  ]);
  return toConnection(rows, page.limit, total?.value ?? 0);
}

/** What an audited mutation needs of its request context. */
interface AuditContext {
  principal: InternalPrincipal;
  tenantId: string;
}

/** What the audit log records of a mutation's result. */
export interface AuditTargets {
  targetId?: string | null;
  operationId?: string | null;
}

/**
 * The success record of one audited call, for a mutation that writes it itself in the statement of its
 * change (one round trip and one commit less per call): it sets `written` once that statement committed
 * the row (targets as `targets` would name them); otherwise the wrapper writes it as usual.
 */
export interface AuditStamp {
  readonly actor: string;
  readonly action: string;
  readonly inputDigest: string;
  written: boolean;
}

/**
 * Builds a subgraph's `audited(action, role, run, targets)` mutation wrapper: checks the role, runs the
 * mutation, and writes its audit record (who, tenant, what, when, outcome, digest of the arguments),
 * for failures too. An unauthorized call is audited as well. `run` may write the success record itself
 * (see {@link AuditStamp}).
 */
export function createAudited<TContext extends AuditContext>(options: { db(context: TContext): AuditDatabase; table: AuditLogTable; digest(action: string, args: unknown): string }) {
  return function audited<TArgs, TResult>(
    action: string,
    role: Role,
    run: (args: TArgs, context: TContext, identity: Identity, stamp: AuditStamp) => Promise<TResult>,
    targets: (args: TArgs, result: TResult | null) => AuditTargets = () => ({}),
  ) {
    return async (_parent: unknown, args: TArgs, context: TContext): Promise<TResult> => {
      const actor = context.principal.kind === 'user' ? context.principal.identity.subject : `system:${context.principal.subject}`;
      const stamp: AuditStamp = { actor, action, inputDigest: options.digest(action, args), written: false };
      const record = (outcome: 'SUCCEEDED' | 'FAILED', result: TResult | null, errorCode: string | null) =>
        recordAudit(options.db(context), options.table, { tenantId: context.tenantId, actor, action, inputDigest: stamp.inputDigest, outcome, errorCode, ...targets(args, result) });
      try {
        const identity = authorize(context, role);
        const result = await run(args, context, identity, stamp);
        if (!stamp.written) await record('SUCCEEDED', result, null);
        return result;
      } catch (error) {
        await record('FAILED', null, toAppError(error).code).catch(() => {});
        throw error;
      }
    };
  };
}
