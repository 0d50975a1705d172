/**
 * The vms subgraph's `vm` stream as followers receive it (`_eventFeed(stream: "vm", withPayload: true)`):
 * the contract between vms and every subgraph that projects VM facts (placement, metrics, billing).
 */
import type { EventFeedEntry } from './EventFeedEntry.ts';

/** The VM row right after a change. */
export interface VmPayload {
  id: string;
  tenantId: string;
  name: string;
  provider: string;
  region: string;
  instanceType: string;
  image: string;
  status: string;
  providerId: string | null;
  privateIp?: string | null;
  publicIp?: string | null;
  labels: Record<string, string>;
  version: number;
  createdAt: string;
  updatedAt: string;
  /**
   * On DRIFTED events only: what the reconciler found changed outside NovaCron. The rest of the
   * payload is already the VM's real state, so a follower projecting the VM needs nothing else.
   */
  drift?: {
    before: { status: string; instanceType: string };
    after: { status: string; instanceType: string };
    /** Set when the instance vanished (the VM is then ERROR). */
    reason?: string;
  };
}

/** One followed event of the vms `vm` stream. */
export interface VmStreamEvent {
  cursor: string;
  tenantId: string;
  /** The VM's id. */
  entityId: string;
  /** DRIFTED: the reconciler gave the VM its provider's real state (status, type, addresses). */
  type: 'CREATED' | 'STATE_CHANGED' | 'RESIZED' | 'DELETED' | 'UPDATED' | 'DRIFTED';
  version: number;
  /** ISO date-time. */
  occurredAt: string;
  payload: VmPayload;
}

/** A followed vms `vm` feed entry (read with its payload) as the contract above: the VM after the change. */
export function toVmStreamEvent(entry: EventFeedEntry): VmStreamEvent {
  if (!entry.payload) throw new Error(`vms event ${entry.cursor} came without its payload`);
  return {
    cursor: entry.cursor,
    tenantId: entry.tenantId,
    entityId: entry.entityId,
    type: entry.type as VmStreamEvent['type'],
    version: entry.version,
    occurredAt: entry.occurredAt,
    payload: entry.payload as unknown as VmPayload,
  };
}
