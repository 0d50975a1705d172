/**
 * The tags (labels on GCP) every instance NovaCron creates carries, so the reconciler can list
 * exactly the instances it manages and tie each to its VM. GCP label keys allow only lowercase
 * letters, digits, `_` and `-`; its driver uses the `gcp` spelling.
 */
export const managedTags = Object.freeze({
  managedBy: 'managed-by',
  managedByValue: 'novacron',
  vmId: 'novacron:vm-id',
  tenant: 'novacron:tenant',
  clientToken: 'novacron:client-token',
  image: 'novacron:image',
});

/** GCP label spelling of {@link managedTags} (no `:` allowed). */
export const gcpManagedLabels = Object.freeze({
  managedBy: 'managed-by',
  managedByValue: 'novacron',
  vmId: 'novacron-vm-id',
  tenant: 'novacron-tenant',
  clientToken: 'novacron-client-token',
  image: 'novacron-image',
});
