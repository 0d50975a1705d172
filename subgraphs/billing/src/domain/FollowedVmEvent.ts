import type { VmStreamEvent, VmStreamPayload } from '@novacron/events';

/** The VM row after a change, as the vms `vm` stream carries it (plus `spot`, which vms does not send yet). */
export interface VmPayload extends VmStreamPayload {
  /** Not in the vms API yet; billing honours it as soon as vms sends it. */
  spot?: boolean;
}

/** One event of the followed vms `vm` stream. */
export type FollowedVmEvent = Omit<VmStreamEvent, 'payload'> & { payload: VmPayload };

/** The label that marks a VM as spot until the vms API has a field for it. */
export const spotLabel = 'novacron.dev/spot';

/** Whether billing prices a VM at the spot price. */
export function isSpot(payload: VmPayload): boolean {
  return payload.spot === true || payload.labels?.[spotLabel] === 'true';
}
