import type { ProviderDriver } from '../ProviderDriver.ts';
import { classifyDrift, type ManagedVm, type ReconcileFinding } from './classifyDrift.ts';

/** Options for {@link reconcileProvider}. */
export interface ReconcileOptions {
  /** The tenant's driver (`registry.forTenant`). */
  driver: ProviderDriver;
  tenantId: string;
  /** The tenant's VMs on this provider, DELETED ones may be left out. */
  vms: readonly ManagedVm[];
  /** Delete orphans first seen at least this long ago (the tenant opted in); never when absent. */
  deleteOrphans?: { firstSeen: ReadonlyMap<string, Date>; graceMs: number; now?: Date };
}

/** What one reconciliation found, and which orphans it deleted. */
export interface ReconcileReport {
  provider: string;
  tenantId: string;
  findings: ReconcileFinding[];
  /** Provider ids of orphans deleted because they outlived the grace period. */
  deletedOrphans: string[];
  checkedAt: Date;
}

/**
 * Compares one provider's managed instances with a tenant's VMs: lists the instances tagged
 * managed-by=novacron in every region the driver searches, classifies
 * the differences, confirms each vanished instance with `get`, and deletes orphans past their grace
 * period when asked. The caller turns findings into events (see the providers README).
 */
export async function reconcileProvider(options: ReconcileOptions): Promise<ReconcileReport> {
  const { driver, tenantId } = options;
  const checkedAt = new Date();
  const vms = options.vms.filter((vm) => vm.provider === driver.name && vm.tenantId === tenantId);
  // Every region the driver searches, not only the VMs' regions: orphans can be anywhere.
  const listed = await driver.list({ managedOnly: true });
  const candidates = classifyDrift(tenantId, vms, listed);
  const findings: ReconcileFinding[] = [];
  for (const finding of candidates) {
    if (finding.kind !== 'VANISHED') {
      findings.push(finding);
      continue;
    }
    // Lists are eventually consistent: only a get that also finds nothing (or a deleted instance) proves it.
    const instance = await driver.get(finding.providerId);
    if (!instance || instance.state === 'DELETED') findings.push(finding);
    else {
      const [confirmed] = classifyDrift(tenantId, vms.filter((vm) => vm.id === finding.vmId), [instance]);
      if (confirmed) findings.push(confirmed);
    }
  }
  const deletedOrphans: string[] = [];
  if (options.deleteOrphans) {
    const now = (options.deleteOrphans.now ?? checkedAt).getTime();
    for (const finding of findings) {
      if (finding.kind !== 'ORPHAN') continue;
      const firstSeen = options.deleteOrphans.firstSeen.get(finding.providerId);
      if (!firstSeen || now - firstSeen.getTime() < options.deleteOrphans.graceMs) continue;
      try {
        await driver.delete(finding.providerId);
        deletedOrphans.push(finding.providerId);
      } catch {
        // Still an orphan (deleted meanwhile, or refused): the next reconciliation sees it again.
      }
    }
  }
  return { provider: driver.name, tenantId, findings, deletedOrphans, checkedAt };
}
