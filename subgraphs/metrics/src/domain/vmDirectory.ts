import type { Queryable } from './Queryable.ts';

/** A VM as the projection knows it. */
export interface KnownVm {
  vmId: string;
  tenantId: string;
  name: string;
  provider: string;
  region: string;
  status: string;
  providerId: string | null;
  labels: Record<string, string>;
  deleted: boolean;
}

/** The columns of a VM row of the projection that its readers and its writer (`applyVmEvents`) share. */
export interface VmColumns {
  vm_id: string;
  tenant_id: string;
  name: string;
  provider: string;
  region: string;
  status: string;
  provider_id: string | null;
  labels: Record<string, string>;
}

interface KnownVmRow extends VmColumns {
  deleted: boolean;
}

const columns = 'vm_id, tenant_id, name, provider, region, status, provider_id, labels, deleted_at is not null as deleted';

function toKnownVm(row: KnownVmRow): KnownVm {
  return {
    vmId: row.vm_id,
    tenantId: row.tenant_id,
    name: row.name,
    provider: row.provider,
    region: row.region,
    status: row.status,
    providerId: row.provider_id,
    labels: row.labels,
    deleted: row.deleted,
  };
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a syntactically valid UUID (VM ids are UUIDs; anything else can never exist). */
export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}

/** The VMs with these ids (any tenant: callers check the tenant). */
export async function findVms(sql: Queryable, vmIds: readonly string[]): Promise<Map<string, KnownVm>> {
  const ids = [...new Set(vmIds.filter(isUuid).map((id) => id.toLowerCase()))];
  if (ids.length === 0) return new Map();
  const rows = await sql<KnownVmRow[]>`select ${sql.unsafe(columns)} from metrics.vms where vm_id = any(${ids}::uuid[])`;
  return new Map(rows.map((row) => [row.vm_id, toKnownVm(row)]));
}

/** VMs by their provider instance ids (OTLP `host.id`), within one tenant. */
export async function findVmsByProviderId(sql: Queryable, tenantId: string, providerIds: readonly string[]): Promise<Map<string, KnownVm>> {
  const ids = [...new Set(providerIds)];
  if (ids.length === 0) return new Map();
  const rows = await sql<KnownVmRow[]>`
    select ${sql.unsafe(columns)} from metrics.vms where tenant_id = ${tenantId} and provider_id = any(${ids}::text[])`;
  return new Map(rows.map((row) => [row.provider_id!, toKnownVm(row)]));
}

/** The VMs running now, with their provider, region and labels (what the collector samples). */
export async function listRunningVms(sql: Queryable): Promise<(KnownVm & { runningSince: Date })[]> {
  const rows = await sql<(KnownVmRow & { running_since_ms: number })[]>`
    select ${sql.unsafe(columns.split(', ').map((column) => (column.includes(' ') ? column.replace('deleted_at', 'v.deleted_at') : `v.${column}`)).join(', '))},
           (extract(epoch from i.started_at) * 1000)::float8 as running_since_ms
    from metrics.vms v join metrics.vm_running_intervals i on i.vm_id = v.vm_id and i.stopped_at is null
    where v.deleted_at is null and v.provider_id is not null
    order by v.provider, v.vm_id`;
  return rows.map((row) => ({ ...toKnownVm(row), runningSince: new Date(row.running_since_ms) }));
}
