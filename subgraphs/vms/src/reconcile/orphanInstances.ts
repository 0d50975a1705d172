import { and, asc, count, eq, notInArray, sql } from 'drizzle-orm';
import { badInput } from '@novacron/errors';
import type { ReconcileFinding } from '@novacron/providers';
import { afterPosition, toConnection, type Connection, type PageRequest } from '@novacron/subgraph-kit';
import type { Database } from '../db/createDatabase.ts';
import { orphanCleanup, orphanInstances } from '../db/schema.ts';

/** A row of `vms.orphan_instances`. */
export type OrphanInstanceRow = typeof orphanInstances.$inferSelect;

type Orphan = Extract<ReconcileFinding, { kind: 'ORPHAN' }>;

/** A tenant's orphan clean-up setting; off unless the tenant enabled it. */
export interface OrphanCleanupSettings {
  enabled: boolean;
  graceMinutes: number;
  updatedAt: Date | null;
  updatedBy: string | null;
}

/** The default grace period: an hour, time enough to notice and adopt an instance by hand. */
const defaultGraceMinutes = 60;
/** At most 30 days. */
const maxGraceMinutes = 43_200;

/** Reads a tenant's orphan clean-up setting. */
export async function readOrphanCleanup(db: Database, tenantId: string): Promise<OrphanCleanupSettings> {
  const [row] = await db.select().from(orphanCleanup).where(eq(orphanCleanup.tenantId, tenantId));
  if (!row) return { enabled: false, graceMinutes: defaultGraceMinutes, updatedAt: null, updatedBy: null };
  return { enabled: row.enabled, graceMinutes: row.graceSeconds / 60, updatedAt: row.updatedAt, updatedBy: row.updatedBy };
}

/** Enables or disables deleting a tenant's orphan instances after `graceMinutes` (0 to 43200). */
export async function setOrphanCleanup(db: Database, tenantId: string, actor: string, input: { enabled: boolean; graceMinutes?: number | null }): Promise<OrphanCleanupSettings> {
  const graceMinutes = input.graceMinutes ?? defaultGraceMinutes;
  if (!Number.isInteger(graceMinutes) || graceMinutes < 0 || graceMinutes > maxGraceMinutes) {
    throw badInput('input.graceMinutes', `graceMinutes must be a whole number from 0 to ${maxGraceMinutes}`);
  }
  const values = { enabled: input.enabled, graceSeconds: graceMinutes * 60, updatedBy: actor };
  await db
    .insert(orphanCleanup)
    .values({ tenantId, ...values })
    .onConflictDoUpdate({ target: orphanCleanup.tenantId, set: { ...values, updatedAt: sql`now()` } });
  return readOrphanCleanup(db, tenantId);
}

/** When each of a tenant's known orphans on a provider was first seen, by provider id. */
export async function orphansFirstSeen(db: Database, tenantId: string, provider: string): Promise<Map<string, Date>> {
  const rows = await db
    .select({ providerId: orphanInstances.providerId, createdAt: orphanInstances.createdAt })
    .from(orphanInstances)
    .where(and(eq(orphanInstances.tenantId, tenantId), eq(orphanInstances.provider, provider)));
  return new Map(rows.map((row) => [row.providerId, row.createdAt]));
}

/**
 * Records what one reconciliation saw: the orphans it found (first-seen time kept for known ones),
 * none of those it deleted, and no longer those that went away or were adopted.
 */
export async function recordOrphans(db: Database, tenantId: string, provider: string, found: readonly Orphan[], deleted: readonly string[]): Promise<void> {
  const gone = new Set(deleted);
  const live = found.filter((orphan) => !gone.has(orphan.providerId));
  await db.transaction(async (tx) => {
    const scope = and(eq(orphanInstances.tenantId, tenantId), eq(orphanInstances.provider, provider));
    await tx.delete(orphanInstances).where(live.length > 0 ? and(scope, notInArray(orphanInstances.providerId, live.map((orphan) => orphan.providerId))) : scope);
    for (const orphan of live) {
      const seen = { region: orphan.region, instanceType: orphan.instanceType, state: orphan.state, vmId: orphan.vmId };
      await tx
        .insert(orphanInstances)
        .values({ tenantId, provider, providerId: orphan.providerId, ...seen })
        .onConflictDoUpdate({ target: [orphanInstances.tenantId, orphanInstances.provider, orphanInstances.providerId], set: { ...seen, lastSeenAt: sql`now()` } });
    }
  });
}

/** A tenant's orphan instances, oldest first, optionally of one provider. */
export async function listOrphanInstances(db: Database, tenantId: string, provider: string | null | undefined, page: PageRequest): Promise<Connection<OrphanInstanceRow>> {
  const conditions = [eq(orphanInstances.tenantId, tenantId), ...(provider ? [eq(orphanInstances.provider, provider)] : [])];
  const [rows, [total]] = await Promise.all([
    db
      .select()
      .from(orphanInstances)
      .where(and(...conditions, afterPosition(orphanInstances, page.after)))
      .orderBy(asc(orphanInstances.createdAt), asc(orphanInstances.id))
      .limit(page.limit + 1),
    db.select({ value: count() }).from(orphanInstances).where(and(...conditions)),
  ]);
  return toConnection(rows, page.limit, total?.value ?? 0);
}
