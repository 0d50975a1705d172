/** The vms `vm` stream's events, as the metrics projection follows them (the contract is in @novacron/events). */
export type { VmStreamEvent as VmEvent, VmStreamPayload as VmPayload } from '@novacron/events';
