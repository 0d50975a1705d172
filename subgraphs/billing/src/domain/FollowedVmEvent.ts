/** The VM row after a change, as the vms `vm` stream carries it. */
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
  /** Not in the vms API yet; billing honours it as soon as vms sends it. */
  spot?: boolean;
}

/** One event of the followed vms `vm` stream (COMMON shape the kit's stream follower hands over). */
export interface FollowedVmEvent {
  cursor: string;
  tenantId: string;
  entityId: string;
  type: 'CREATED' | 'STATE_CHANGED' | 'RESIZED' | 'DELETED' | 'UPDATED';
  version: number;
  occurredAt: string;
  payload: VmPayload;
}

/** The label that marks a VM as spot until the vms API has a field for it. */
export const spotLabel = 'novacron.dev/spot';

/** Whether billing prices a VM at the spot price. */
export function isSpot(payload: VmPayload): boolean {
  return payload.spot === true || payload.labels?.[spotLabel] === 'true';
}
