/**
 * The reconciler's pure core: given what NovaCron believes (its VM rows) and what the provider
 * reports (instances tagged managed-by=novacron), name every difference. No I/O, so each rule is
 * unit-tested; {@link reconcileProvider} does the listing and confirmation around it.
 */
import type { ProviderInstance, ProviderInstanceState } from '../ProviderDriver.ts';
import { gcpManagedLabels, managedTags } from '../cloud/managedTags.ts';

/** The VM statuses the vms subgraph stores (PENDING shows as PROVISIONING). */
export type ManagedVmStatus = 'PROVISIONING' | Exclude<ProviderInstanceState, 'PENDING'>;

/** What the reconciler needs of one VM row. */
export interface ManagedVm {
  id: string;
  tenantId: string;
  provider: string;
  region: string;
  status: ManagedVmStatus;
  instanceType: string;
  /** Null while the create has not recorded the instance yet. */
  providerId: string | null;
  /** True while an operation is queued or running on the VM: its differences are expected, not drift. */
  busy: boolean;
}

/** The part of a VM that drift changes. */
export interface VmFacts {
  status: ManagedVmStatus;
  instanceType: string;
}

/** One difference between NovaCron and the provider. */
export type ReconcileFinding =
  /** The instance was stopped, started or resized outside NovaCron: the VM should take the real state (event DRIFTED, before/after). */
  | { kind: 'DRIFTED'; vmId: string; providerId: string; before: VmFacts; after: VmFacts & { privateIp: string | null; publicIp: string | null } }
  /** The VM's instance is gone at the provider: the VM becomes ERROR with the reason. */
  | { kind: 'VANISHED'; vmId: string; providerId: string; reason: string }
  /** A managed instance no live VM owns (its VM was deleted, or its create never recorded it). */
  | { kind: 'ORPHAN'; providerId: string; region: string; instanceType: string; state: ProviderInstanceState; vmId: string | null };

const settledStates: readonly ProviderInstanceState[] = ['RUNNING', 'STOPPED', 'ERROR'];

/** The VM status a provider state means; PENDING shows as PROVISIONING, as in the vms subgraph. */
export function vmStatusOf(state: ProviderInstanceState): ManagedVmStatus {
  return state === 'PENDING' ? 'PROVISIONING' : state;
}

/** The tag value under either spelling (`novacron:vm-id` on AWS/Azure, `novacron-vm-id` on GCP). */
function tag(instance: ProviderInstance, key: keyof typeof managedTags & keyof typeof gcpManagedLabels): string | null {
  return instance.tags?.[managedTags[key]] ?? instance.tags?.[gcpManagedLabels[key]] ?? null;
}

/** Whether NovaCron manages an instance (tagged managed-by=novacron); the simulated cloud's instances carry no tags and are all NovaCron's. */
export function isManaged(instance: ProviderInstance): boolean {
  return instance.tags === undefined || instance.tags[managedTags.managedBy] === managedTags.managedByValue;
}

/**
 * Classifies the differences for one tenant and provider. `instances` are the provider's live
 * instances (any tenant's; those tagged for another tenant are ignored). VMs whose instance is
 * missing from the list come back as VANISHED candidates: confirm each with `get` before acting,
 * since cloud list calls are eventually consistent.
 */
export function classifyDrift(tenantId: string, vms: readonly ManagedVm[], instances: readonly ProviderInstance[]): ReconcileFinding[] {
  const findings: ReconcileFinding[] = [];
  const byProviderId = new Map(instances.filter(isManaged).map((instance) => [instance.providerId, instance]));
  const owned = new Set<string>();
  const inFlight = new Set(vms.filter((vm) => vm.providerId === null && vm.status !== 'DELETED').map((vm) => vm.id));
  for (const vm of vms) {
    if (!vm.providerId || vm.status === 'DELETED') continue;
    const instance = byProviderId.get(vm.providerId);
    if (instance) owned.add(instance.providerId);
    if (vm.busy) continue;
    if (!instance) {
      if (vm.status !== 'DELETING' && vm.status !== 'ERROR') findings.push({ kind: 'VANISHED', vmId: vm.id, providerId: vm.providerId, reason: `the ${vm.provider} instance ${vm.providerId} no longer exists` });
      continue;
    }
    // A transition under way (someone else's stop, a reboot) settles soon; judge it then.
    if (!settledStates.includes(instance.state)) continue;
    const after = { status: vmStatusOf(instance.state), instanceType: instance.instanceType };
    if (after.status !== vm.status || (instance.instanceType !== '' && after.instanceType !== vm.instanceType)) {
      findings.push({
        kind: 'DRIFTED',
        vmId: vm.id,
        providerId: vm.providerId,
        before: { status: vm.status, instanceType: vm.instanceType },
        after: { ...after, privateIp: instance.privateIp, publicIp: instance.publicIp },
      });
    }
  }
  for (const instance of byProviderId.values()) {
    if (owned.has(instance.providerId) || instance.state === 'DELETED' || instance.state === 'DELETING') continue;
    // Without tags (the simulated cloud, shared by every tenant) nothing proves whose an unowned instance is.
    if (instance.tags === undefined) continue;
    const tenant = tag(instance, 'tenant');
    if (tenant !== null && tenant !== tenantId) continue;
    const vmId = tag(instance, 'vmId');
    // A create whose provider id is not recorded yet owns its instance already.
    if (vmId !== null && inFlight.has(vmId)) continue;
    findings.push({ kind: 'ORPHAN', providerId: instance.providerId, region: instance.region, instanceType: instance.instanceType, state: instance.state, vmId });
  }
  return findings;
}
