import { randomUUID } from 'node:crypto';
import type { VmEvent, VmPayload } from '../../src/domain/VmEvent.ts';

/** Builds the events of one VM the way the vms stream would deliver them, versions counting up. */
export function vmHistory(init: Partial<VmPayload> & { tenantId?: string } = {}) {
  const id = init.id ?? randomUUID();
  let version = 0;
  let cursor = 0;
  let current: VmPayload = {
    id,
    tenantId: init.tenantId ?? 'default',
    name: init.name ?? `vm-${id.slice(0, 8)}`,
    provider: init.provider ?? 'aws',
    region: init.region ?? 'us-east-1',
    instanceType: 't3.micro',
    image: 'debian-12',
    status: 'PENDING',
    providerId: null,
    privateIp: null,
    publicIp: null,
    labels: init.labels ?? {},
    version: 0,
    createdAt: new Date(Date.now() - 86_400_000).toISOString(),
    updatedAt: new Date().toISOString(),
  };
  return {
    id,
    event(type: VmEvent['type'], change: Partial<VmPayload>, occurredAt: Date): VmEvent {
      version += 1;
      cursor += 1;
      current = { ...current, ...change, version, updatedAt: occurredAt.toISOString() };
      return { cursor: `${id}:${cursor}`, tenantId: current.tenantId, entityId: id, type, version, occurredAt: occurredAt.toISOString(), payload: { ...current } };
    },
  };
}
