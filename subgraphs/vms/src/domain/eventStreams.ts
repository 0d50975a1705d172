import { createOutbox, defineEventStream } from '@novacron/subgraph-kit';

export const terminalOperationStatuses = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/**
 * The event streams the vms subgraph keeps, read through the kit's outbox. Their tables predate the
 * kit, so the stream definitions map their columns: a VM event concerns its VM; an operation event
 * concerns the operation and its VM.
 */
export const vmStream = defineEventStream({
  key: 'vm',
  table: 'vm_events',
  columns: { entityId: 'e.vm_id', keys: 'array[e.vm_id::text]', version: 'e.vm_version', type: 'e.type', payload: 'e.payload', entityColumn: 'vm_id' },
});

export const operationStream = defineEventStream({
  key: 'operation',
  table: 'operation_events',
  columns: {
    entityId: 'e.operation_id',
    keys: 'array[e.operation_id::text, e.vm_id::text]',
    version: 'e.operation_version',
    type: 'e.status',
    payload: 'e.payload',
    entityColumn: 'operation_id',
  },
  terminalTypes: terminalOperationStatuses,
});

/** The vms outbox: `_eventFeed`, pruning and cursors of both streams. */
export const vmsOutbox = createOutbox('vms', [vmStream, operationStream]);
