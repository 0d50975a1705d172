import { and, eq, lte, sql } from 'drizzle-orm';
import { appError } from '@novacron/errors';
import type { Database, Executor } from '../db/createDatabase.ts';
import { quotas, reservations, type ReservationStatus } from '../db/schema.ts';
import { capacityInUse } from './capacityStore.ts';
import { capacityKey } from './PlacementPolicy.ts';

/** What `reserveCapacity` holds: vCPUs for one operation in one provider/region. */
export interface ReservationRequest {
  tenantId: string;
  /** The operation creating the VM; the reservation's identity (DESIGN-NOTES §8). */
  operationId: string;
  provider: string;
  region: string;
  vcpus: number;
  /** The VM the operation creates, when known: its first event in the projection confirms the reservation. */
  vmId?: string | null;
  /** How long an unconfirmed reservation holds capacity. */
  ttlSeconds: number;
}

/** A reservation as stored. */
export interface Reservation {
  operationId: string;
  tenantId: string;
  provider: string;
  region: string;
  vcpus: number;
  vmId: string | null;
  status: ReservationStatus;
  expiresAt: Date;
}

/**
 * Holds quota for a create until its VM shows up in the usage projection. Idempotent by operation
 * id: repeating a request returns the reservation already made. The same operation asking for
 * another provider/region (failover to the next candidate) moves its reservation there, checked
 * against that quota. Refused with QUOTA_EXCEEDED when usage + live reservations + the request
 * would exceed the quota.
 *
 * Concurrent creates cannot jointly exceed a quota: the check and the insert run in one transaction
 * holding the quota row's lock (`for update`), so reservations against one quota are serialized, and
 * under READ COMMITTED each statement after the lock sees the reservations committed before it.
 */
export async function reserveCapacity(db: Database, request: ReservationRequest): Promise<Reservation> {
  if (!Number.isInteger(request.vcpus) || request.vcpus < 1) throw appError('BAD_USER_INPUT', 'vcpus must be a positive whole number', { field: 'vcpus' });
  return db.transaction(async (tx) => {
    const [quota] = await tx
      .select({ vcpus: quotas.vcpus })
      .from(quotas)
      .where(and(eq(quotas.tenantId, request.tenantId), eq(quotas.provider, request.provider), eq(quotas.region, request.region)))
      .for('update');
    const [existing] = await tx.select().from(reservations).where(eq(reservations.operationId, request.operationId)).for('update');
    if (existing && existing.tenantId !== request.tenantId) {
      throw appError('CONFLICT', `operation ${request.operationId} already holds a reservation`, { operationId: request.operationId });
    }
    const samePlace = existing && existing.provider === request.provider && existing.region === request.region && existing.vcpus === request.vcpus;
    if (existing && samePlace && (existing.status === 'CONFIRMED' || (existing.status === 'HELD' && existing.expiresAt > new Date()))) return existing;
    // A CONFIRMED reservation asked for another place is a create failing over after its VM appeared:
    // hold again at the new place (the VM still counts at the old one until its UPDATED event moves it,
    // which confirms this reservation again: briefly conservative, never under).
    if (quota) {
      const usage = (await capacityInUse(tx, request.tenantId, request)).get(capacityKey(request.provider, request.region)) ?? { used: 0, reserved: 0 };
      // A held reservation of this same operation here is being renewed, not added to.
      const own = existing && existing.status === 'HELD' && existing.expiresAt > new Date() && existing.provider === request.provider && existing.region === request.region ? existing.vcpus : 0;
      if (usage.used + usage.reserved - own + request.vcpus > quota.vcpus) {
        throw appError('QUOTA_EXCEEDED', `${request.vcpus} more vCPUs in ${request.provider}/${request.region} would exceed the tenant's quota of ${quota.vcpus} (${usage.used} in use, ${usage.reserved - own} reserved)`, {
          provider: request.provider,
          region: request.region,
          quota: quota.vcpus,
          usedVcpus: usage.used,
          reservedVcpus: usage.reserved - own,
          requestedVcpus: request.vcpus,
        });
      }
    }
    const values = {
      tenantId: request.tenantId,
      provider: request.provider,
      region: request.region,
      vcpus: request.vcpus,
      vmId: request.vmId ?? existing?.vmId ?? null,
      status: 'HELD' as const,
      expiresAt: sql`now() + make_interval(secs => ${request.ttlSeconds})`,
      updatedAt: sql`now()`,
    };
    const [saved] = await tx
      .insert(reservations)
      .values({ operationId: request.operationId, ...values })
      .onConflictDoUpdate({ target: reservations.operationId, set: values })
      .returning();
    return saved as Reservation;
  });
}

/** Releases an operation's held capacity (its create failed or was cancelled); false when nothing was held. */
export async function releaseReservation(db: Executor, tenantId: string, operationId: string): Promise<boolean> {
  const released = await db
    .update(reservations)
    .set({ status: 'RELEASED', updatedAt: sql`now()` })
    .where(and(eq(reservations.operationId, operationId), eq(reservations.tenantId, tenantId), eq(reservations.status, 'HELD')))
    .returning({ operationId: reservations.operationId });
  return released.length > 0;
}

/**
 * Marks reservations never confirmed in time as EXPIRED. Quota checks already ignore them once
 * `expires_at` has passed; the sweep keeps the table honest for readers.
 */
export async function expireReservations(db: Executor): Promise<number> {
  const expired = await db
    .update(reservations)
    .set({ status: 'EXPIRED', updatedAt: sql`now()` })
    .where(and(eq(reservations.status, 'HELD'), lte(reservations.expiresAt, sql`now()`)))
    .returning({ operationId: reservations.operationId });
  return expired.length;
}
