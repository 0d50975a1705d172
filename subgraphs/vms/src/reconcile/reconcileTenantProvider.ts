import { and, eq, inArray, ne, sql } from 'drizzle-orm';
import { badInput } from '@novacron/errors';
import { reconcileProvider, type ManagedVm, type ProviderRegistry } from '@novacron/providers';
import type { Database } from '../db/createDatabase.ts';
import { operations, vms } from '../db/schema.ts';
import { orphansFirstSeen, readOrphanCleanup, recordOrphans } from './orphanInstances.ts';
import { recordDrift } from './recordDrift.ts';

/** What one reconciliation of a tenant's provider did. */
export interface ReconcileResult {
  provider: string;
  checkedAt: Date;
  /** VMs that took their instance's real state, each with a DRIFTED event. */
  drifted: string[];
  /** VMs whose instance is gone, now ERROR with the reason on their DRIFTED event. */
  vanished: string[];
  /** Provider ids of managed instances no live VM owns. */
  orphans: string[];
  /** Orphans deleted because the tenant enabled clean-up and their grace period passed. */
  deletedOrphans: string[];
}

/**
 * Reconciles one provider for one tenant: lists the instances tagged managed-by=novacron (the
 * providers package's `reconcileProvider`), gives each drifted VM its real state and each VM whose
 * instance vanished ERROR (DRIFTED events, before/after), records orphans, and deletes those past
 * the tenant's grace period when it enabled clean-up.
 */
export async function reconcileTenantProvider(db: Database, providers: ProviderRegistry, tenantId: string, provider: string): Promise<ReconcileResult> {
  const driver = await providers.forTenant(tenantId, provider);
  if (!driver) throw badInput('provider', `unknown provider "${provider.slice(0, 80)}"`);
  const rows = await db
    .select({
      id: vms.id,
      tenantId: vms.tenantId,
      provider: vms.provider,
      region: vms.region,
      status: vms.status,
      instanceType: vms.instanceType,
      providerId: vms.providerId,
      version: vms.version,
      busy: sql<boolean>`exists (select 1 from ${operations} where ${operations.vmId} = ${vms.id} and ${inArray(operations.status, ['QUEUED', 'RUNNING'])})`,
    })
    .from(vms)
    .where(and(eq(vms.tenantId, tenantId), eq(vms.provider, provider), ne(vms.status, 'DELETED')));
  const managed: ManagedVm[] = rows.map((row) => ({ ...row, status: row.status === 'PENDING' ? 'PROVISIONING' : row.status }));
  const cleanup = await readOrphanCleanup(db, tenantId);
  const report = await reconcileProvider({
    driver,
    tenantId,
    vms: managed,
    ...(cleanup.enabled ? { deleteOrphans: { firstSeen: await orphansFirstSeen(db, tenantId, provider), graceMs: cleanup.graceMinutes * 60_000 } } : {}),
  });
  const byId = new Map(rows.map((row) => [row.id, row]));
  const result: ReconcileResult = { provider, checkedAt: report.checkedAt, drifted: [], vanished: [], orphans: [], deletedOrphans: report.deletedOrphans };
  for (const finding of report.findings) {
    if (finding.kind === 'ORPHAN') {
      if (!report.deletedOrphans.includes(finding.providerId)) result.orphans.push(finding.providerId);
      continue;
    }
    const vm = byId.get(finding.vmId);
    if (!vm || !(await recordDrift(db, vm, finding))) continue;
    (finding.kind === 'DRIFTED' ? result.drifted : result.vanished).push(finding.vmId);
  }
  await recordOrphans(db, tenantId, provider, report.findings.filter((finding) => finding.kind === 'ORPHAN'), report.deletedOrphans);
  return result;
}

/** The tenants worth reconciling: those with a VM that is not deleted, or with stored credentials. */
export async function tenantsToReconcile(db: Database): Promise<string[]> {
  const rows = await db.execute<{ tenant_id: string }>(sql`
    select tenant_id from vms.vms where status <> 'DELETED'
    union select tenant_id from vms.provider_credentials
    union select tenant_id from vms.orphan_instances`);
  return rows.map((row) => row.tenant_id);
}
