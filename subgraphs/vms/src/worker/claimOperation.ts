import { and, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database } from '../db/createDatabase.ts';
import type { OperationRow } from '../db/rows.ts';
import { operations } from '../db/schema.ts';

/**
 * Takes the lease on an operation: only a queued operation, or a running one whose lease lapsed or was
 * released by the sweeper, can be claimed. Each claim bumps `lease_epoch`, so every later write of an
 * older holder (`where lease_epoch = …`) matches nothing. Returns null when there is nothing to do.
 */
export async function claimOperation(db: Database, operationId: string, workerId: string, leaseSeconds: number): Promise<OperationRow | null> {
  const [claimed] = await db
    .update(operations)
    .set({
      status: 'RUNNING',
      startedAt: sql`coalesce(${operations.startedAt}, now())`,
      // Every claim is an attempt: the first one and each re-drive after a worker died.
      attempts: sql`${operations.attempts} + 1`,
      leaseOwner: workerId,
      leaseEpoch: sql`${operations.leaseEpoch} + 1`,
      leaseExpiresAt: sql`now() + make_interval(secs => ${leaseSeconds})`,
      version: sql`${operations.version} + 1`,
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(operations.id, operationId),
        or(
          eq(operations.status, 'QUEUED'),
          and(eq(operations.status, 'RUNNING'), or(isNull(operations.leaseOwner), lt(operations.leaseExpiresAt, sql`now()`))),
        ),
        inArray(operations.status, ['QUEUED', 'RUNNING']),
      ),
    )
    .returning();
  return claimed ?? null;
}
