import { randomUUID } from 'node:crypto';
import type { FollowedVmEvent, VmPayload } from '../../src/domain/FollowedVmEvent.ts';

let cursor = 0;

/** Builds the followed vms events of one VM, step by step, like the vms subgraph would emit them. */
export function vmEventStream(base: { tenantId: string; provider: string; region: string; instanceType: string; image?: string; labels?: Record<string, string>; spot?: boolean; name?: string }) {
  const id = randomUUID();
  let row: VmPayload | undefined;
  const events: FollowedVmEvent[] = [];
  const step = (at: string, change: Partial<VmPayload>, type: FollowedVmEvent['type'] = 'STATE_CHANGED'): FollowedVmEvent => {
    const version = (row?.version ?? 0) + 1;
    row = {
      id,
      tenantId: base.tenantId,
      name: base.name ?? `vm-${id.slice(0, 8)}`,
      provider: base.provider,
      region: base.region,
      instanceType: base.instanceType,
      image: base.image ?? 'ubuntu-24.04',
      status: 'PENDING',
      providerId: null,
      labels: base.labels ?? {},
      createdAt: at,
      ...(base.spot ? { spot: true } : {}),
      ...row,
      ...change,
      version,
      updatedAt: at,
    };
    const event: FollowedVmEvent = { cursor: String(++cursor), tenantId: base.tenantId, entityId: id, type, version, occurredAt: at, payload: { ...row } };
    events.push(event);
    return event;
  };
  return {
    id,
    events,
    created: (at: string) => step(at, { status: 'PENDING' }, 'CREATED'),
    running: (at: string) => step(at, { status: 'RUNNING', providerId: row?.providerId ?? `i-${id.slice(0, 8)}` }),
    status: (at: string, status: string) => step(at, { status }),
    resized: (at: string, instanceType: string) => step(at, { instanceType }, 'RESIZED'),
    deleted: (at: string) => step(at, { status: 'DELETED' }, 'DELETED'),
  };
}
