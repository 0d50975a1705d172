import type { EventFeedEntry } from '@novacron/events';
import type { VmEvent, VmPayload } from './VmEvent.ts';

/** A followed vms `vm` feed entry as the projection reads it (the payload is the VM after the change). */
export function toVmEvent(entry: EventFeedEntry): VmEvent {
  if (!entry.payload) throw new Error(`vms event ${entry.cursor} came without its payload`);
  return {
    cursor: entry.cursor,
    tenantId: entry.tenantId,
    entityId: entry.entityId,
    type: entry.type as VmEvent['type'],
    version: entry.version,
    occurredAt: entry.occurredAt,
    payload: entry.payload as unknown as VmPayload,
  };
}
