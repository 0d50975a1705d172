/**
 * The family an instance type belongs to, as its provider names it: AWS `m6i.large` → `m6i`,
 * GCP `n2-highmem-4` → `n2`, Azure `Standard_D4s_v5` → `Dsv5` (the "Dsv5 series"),
 * `Standard_B2ms` → `Bms`. Policies deny whole families.
 */
export function instanceFamily(provider: string, instanceType: string): string {
  if (provider === 'aws') return instanceType.split('.')[0] ?? instanceType;
  if (provider === 'gcp') return instanceType.split('-')[0] ?? instanceType;
  if (provider === 'azure') {
    const match = /^Standard_([A-Z]+)\d+([a-z]*)(?:_(v\d+))?$/.exec(instanceType);
    if (match) return `${match[1]}${match[2]}${match[3] ?? ''}`;
  }
  return instanceType;
}
