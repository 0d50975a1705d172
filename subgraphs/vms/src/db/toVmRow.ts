import type { VmRow } from './rows.ts';

/** A `vms.vms` row from hand-written SQL: its columns (postgres.js, timestamps as text) or `to_jsonb(vm)`. */
export interface RawVm {
  id: string;
  tenant_id: string;
  name: string;
  provider: string;
  region: string;
  instance_type: string;
  image: string;
  status: VmRow['status'];
  provider_id: string | null;
  private_ip: string | null;
  public_ip: string | null;
  labels: Record<string, string>;
  version: number;
  created_at: string;
  updated_at: string;
}

/** Maps a raw `vms.vms` row to the row type drizzle would return. */
export function toVmRow(raw: RawVm): VmRow {
  return {
    id: raw.id,
    tenantId: raw.tenant_id,
    name: raw.name,
    provider: raw.provider,
    region: raw.region,
    instanceType: raw.instance_type,
    image: raw.image,
    status: raw.status,
    providerId: raw.provider_id,
    privateIp: raw.private_ip,
    publicIp: raw.public_ip,
    labels: raw.labels,
    version: raw.version,
    createdAt: new Date(raw.created_at),
    updatedAt: new Date(raw.updated_at),
  };
}
