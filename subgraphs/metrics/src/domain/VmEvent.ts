/** The VM as the vms subgraph's VM stream carries it: the row right after the change. */
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
  privateIp: string | null;
  publicIp: string | null;
  labels: Record<string, string>;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** One followed event of the vms `vm` stream. */
export interface VmEvent {
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
