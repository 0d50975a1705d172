import { and, eq, sql } from 'drizzle-orm';
import { appError, notFound } from '@novacron/errors';
import type { Database } from '../db/createDatabase.ts';
import { recordVmChange } from '../db/recordVmChange.ts';
import type { OperationRow } from '../db/rows.ts';
import { operations } from '../db/schema.ts';
import { unavailableOnDatabaseTrouble } from './enqueueOperation.ts';

/**
 * Cancels an operation. A queued one is cancelled at once (a cancelled create leaves its VM
 * DELETED, since nothing was made). A running one is asked to stop: the worker honours the request at
 * its next step boundary and undoes a half-made create. A finished one is a CONFLICT.
 */
export async function cancelOperation(db: Database, tenantId: string, operationId: string): Promise<OperationRow> {
  return db.transaction(async (tx) => {
    const [operation] = await tx
      .select()
      .from(operations)
      .where(and(eq(operations.id, operationId), eq(operations.tenantId, tenantId)))
      .for('update');
    if (!operation) throw notFound('Operation', operationId);
    if (operation.status === 'RUNNING') {
      const [updated] = await tx
        .update(operations)
        .set({ cancelRequested: true, version: sql`${operations.version} + 1`, updatedAt: sql`now()` })
        .where(eq(operations.id, operationId))
        .returning();
      return updated ?? operation;
    }
    if (operation.status !== 'QUEUED') {
      throw appError('CONFLICT', `the operation already finished (${operation.status})`, { reason: 'OPERATION_FINISHED', status: operation.status });
    }
    const now = new Date().toISOString();
    const [cancelled] = await tx
      .update(operations)
      .set({
        status: 'CANCELLED',
        cancelRequested: true,
        errorCode: 'CANCELLED',
        errorMessage: 'cancelled before a worker started it',
        steps: operation.steps.map((step) => ({ ...step, status: 'SKIPPED' as const, finishedAt: now })),
        finishedAt: sql`now()`,
        leaseExpiresAt: null,
        version: sql`${operations.version} + 1`,
        updatedAt: sql`now()`,
      })
      .where(eq(operations.id, operationId))
      .returning();
    if (operation.kind === 'CREATE') await recordVmChange(tx, operation.vmId, { status: 'DELETED' }, 'DELETED', operation.id);
    // The job may already be locked by a worker; its claim then finds the operation cancelled.
    await tx.execute(sql`select graphile_worker.remove_job(${`op:${operation.id}`})`);
    return cancelled ?? operation;
  }).catch(unavailableOnDatabaseTrouble);
}
