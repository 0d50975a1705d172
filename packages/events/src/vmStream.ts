/**
 * The vms subgraph's `vm` stream as followers receive it (`_eventFeed(stream: "vm", withPayload: true)`):
 * the contract between vms and every subgraph that projects VM facts (placement, metrics, billing).
 */

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
}

/** One followed event of the vms `vm` stream. */
export interface VmStreamEvent {
  cursor: string;
  tenantId: string;
  /** The VM's id. */
  entityId: string;
  type: 'CREATED' | 'STATE_CHANGED' | 'RESIZED' | 'DELETED' | 'UPDATED';
  version: number;
  /** ISO date-time. */
  occurredAt: string;
  payload: VmPayload;
}
