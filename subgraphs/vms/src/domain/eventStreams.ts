/** The event streams the vms subgraph keeps, by their short and signalled names. */
export const eventStreams = {
  vm: { name: 'vms.vm', table: 'vm_events' },
  operation: { name: 'vms.operation', table: 'operation_events' },
} as const;

/** A stream's short name. */
export type EventStreamKey = keyof typeof eventStreams;

/** Narrows a string to a stream's short name. */
export function isEventStreamKey(value: string): value is EventStreamKey {
  return Object.hasOwn(eventStreams, value);
}

export const terminalOperationStatuses = ['SUCCEEDED', 'FAILED', 'CANCELLED'];
