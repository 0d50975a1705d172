import type { Logger } from '@novacron/server-kit';
import type { Database } from '../db/createDatabase.ts';

/**
 * Prepared: renews every lease a worker process holds in one statement. The operations are found by
 * `id = any($1)` (the primary key, whatever the statistics) and matched to the epoch each was
 * claimed with; an operation not returned has lost its lease (re-driven, or finished by another).
 */
const renewLeases = `
update vms.operations o set lease_expires_at = now() + make_interval(secs => $3::double precision)
from unnest($1::uuid[], $2::int[]) as held(id, epoch)
where o.id = any($1::uuid[]) and o.id = held.id and o.lease_epoch = held.epoch and o.status = 'RUNNING'
returning o.id`;

/** A running heartbeat; `lost` turns true when the lease was taken away. */
export interface LeaseHeartbeat {
  readonly lost: boolean;
  stop(): void;
}

/**
 * Extends one operation's lease every third of its length for as long as the worker runs it: a
 * keeper holding that lease alone (for callers without a process-wide keeper).
 */
export function startLeaseHeartbeat(db: Database, operationId: string, epoch: number, leaseSeconds: number, logger: Logger): LeaseHeartbeat {
  const keeper = createLeaseKeeper(db, leaseSeconds, logger);
  const held = keeper.hold(operationId, epoch);
  return {
    get lost() {
      return held.lost;
    },
    stop: () => {
      held.stop();
      keeper.stop();
    },
  };
}

const heartbeatIntervalMs = (leaseSeconds: number) => Math.max(100, (leaseSeconds * 1000) / 3);

/** The leases one worker process holds, renewed together. */
export interface LeaseKeeper {
  /** Keeps the lease of an operation this process has just claimed until the heartbeat is stopped. */
  hold(operationId: string, epoch: number): LeaseHeartbeat;
  /** How many leases it holds now. */
  readonly held: number;
  /** Renews every held lease now (the timer does this every third of a lease). */
  renew(): Promise<void>;
  stop(): void;
}

/** How many leases one renewal statement carries at most. */
const renewalBatch = 1_000;

/**
 * Renews all the leases a worker process holds with one statement every third of a lease, instead
 * of a timer and a statement per operation: a process running 1,000 operations that wait on a cloud
 * for a minute each made 100 renewals a second. Hand-rolled: a loop over one prepared statement.
 */
export function createLeaseKeeper(db: Database, leaseSeconds: number, logger: Logger): LeaseKeeper {
  interface Held {
    epoch: number;
    lost: boolean;
  }
  const leases = new Map<string, Held>();
  let renewing: Promise<void> | null = null;
  let stopped = false;

  const renewOnce = async () => {
    const batch = [...leases.entries()];
    for (let start = 0; start < batch.length; start += renewalBatch) {
      const part = batch.slice(start, start + renewalBatch);
      try {
        const renewed = await db.$client.unsafe<{ id: string }[]>(renewLeases, [part.map(([id]) => id), part.map(([, held]) => held.epoch), leaseSeconds], { prepare: true });
        const kept = new Set(renewed.map((row) => row.id));
        for (const [id, held] of part) {
          // Still the same hold (not stopped and claimed again meanwhile): its lease is gone.
          if (!kept.has(id) && leases.get(id) === held) held.lost = true;
        }
      } catch (error) {
        // A renewal cut short by the worker's own shutdown (its pool closing) is not a failure.
        if (!stopped) logger.warn({ err: error, leases: part.length }, 'lease heartbeat failed; will retry');
      }
    }
  };
  const renew = () => {
    renewing ??= renewOnce().finally(() => {
      renewing = null;
    });
    return renewing;
  };

  const timer = setInterval(() => {
    if (leases.size > 0 && !renewing) void renew();
  }, heartbeatIntervalMs(leaseSeconds));
  timer.unref();

  return {
    hold(operationId, epoch) {
      const held: Held = { epoch, lost: false };
      leases.set(operationId, held);
      return {
        get lost() {
          return held.lost;
        },
        stop: () => {
          if (leases.get(operationId) === held) leases.delete(operationId);
        },
      };
    },
    get held() {
      return leases.size;
    },
    renew,
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}
