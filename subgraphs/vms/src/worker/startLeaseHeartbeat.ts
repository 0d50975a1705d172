import { and, eq, sql } from 'drizzle-orm';
import type { Logger } from '@novacron/server-kit';
import type { Database } from '../db/createDatabase.ts';
import { operations } from '../db/schema.ts';

/** A running heartbeat; `lost` turns true when the lease was taken away. */
export interface LeaseHeartbeat {
  readonly lost: boolean;
  stop(): void;
}

/** Extends an operation's lease every third of its length for as long as the worker runs it. */
export function startLeaseHeartbeat(db: Database, operationId: string, epoch: number, leaseSeconds: number, logger: Logger): LeaseHeartbeat {
  let lost = false;
  const timer = setInterval(async () => {
    try {
      const renewed = await db
        .update(operations)
        .set({ leaseExpiresAt: sql`now() + make_interval(secs => ${leaseSeconds})` })
        .where(and(eq(operations.id, operationId), eq(operations.leaseEpoch, epoch), eq(operations.status, 'RUNNING')))
        .returning({ id: operations.id });
      if (renewed.length === 0) lost = true;
    } catch (error) {
      logger.warn({ err: error, operationId }, 'lease heartbeat failed; will retry');
    }
  }, Math.max(100, (leaseSeconds * 1000) / 3));
  timer.unref();
  return {
    get lost() {
      return lost;
    },
    stop: () => clearInterval(timer),
  };
}
