import type { Logger } from '@novacron/server-kit';
import type { Database } from '../db/createDatabase.ts';

/** Prepared: every running operation renews its lease every third of its length. */
const renewLease = `
update vms.operations set lease_expires_at = now() + make_interval(secs => $3::double precision)
where id = $1 and lease_epoch = $2 and status = 'RUNNING'
returning id`;

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
      const renewed = await db.$client.unsafe(renewLease, [operationId, epoch, leaseSeconds], { prepare: true });
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
